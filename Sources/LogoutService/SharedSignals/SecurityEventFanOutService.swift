import Logging
import LogoutCore
import LogoutJWT
import ServiceLifecycle

/// Makes the session-revoked SETs of accepted logouts, after their commit and never in the
/// notifier's way: the event log is the outbox. Each pass reads the logouts not fanned out yet
/// and writes their SETs and the mark in one transaction, so a crash between a logout's commit
/// and its SETs only delays them; the idle look at the log catches what a lost signal missed.
struct SecurityEventFanOutService: Service {
    let store: any SharedSignalsStore
    let waker: Waker
    /// Wakes the push engine when a pass made SETs.
    let pushes: Waker
    let issuer: String
    let idle: Duration
    let now: @Sendable () -> Timestamp
    let logger: Logger
    static let batch = 500

    func run() async throws {
        let clock = ContinuousClock()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                var read = Self.batch
                var total = 0
                while read == Self.batch && !Task.isCancelled {
                    read = try await pass()
                    total += read
                }
                if total > 0 { pushes.signal() }
            } catch {
                logger.warning("SSF fan-out failed; retried", metadata: ["error": "\(error)"])
            }
            await cancelWhenGracefulShutdown {
                await waker.wait(until: clock.now.advanced(by: idle), on: clock)
            }
        }
    }

    /// One batch; returns how many logouts it read.
    func pass() async throws -> Int {
        let (issuer, at) = (self.issuer, now())
        return try await store.fanOutSecurityEvents(limit: Self.batch, now: at) { logouts, streams in
            try Self.plan(logouts, streams: streams, issuer: issuer, now: at)
        }
    }

    static func plan(
        _ logouts: [FannedOutLogout],
        streams: [(StoredStream, [String])],
        issuer: String,
        now: Timestamp
    ) throws -> [NewSecurityEvent] {
        let fanned = try streams.map { stored, removed in
            SecurityEventFanOut.Stream(
                configuration: try StreamConfiguration(storedText: stored.configuration),
                status: StreamStatus.State(rawValue: stored.status.rawValue) ?? .disabled,
                removedSubjects: removed.compactMap { text in
                    (try? StrictJSONParser.parse(Array(text.utf8))).flatMap { try? SubjectIdentifier.parse($0) }
                }
            )
        }
        let planned = SecurityEventFanOut.plan(
            logouts.compactMap { logout in
                logout.iss.map {
                    SecurityEventFanOut.Logout(
                        eventID: logout.eventID,
                        source: logout.source,
                        iss: $0,
                        sub: logout.sub,
                        sid: logout.sid,
                        receivedAt: logout.receivedAt
                    )
                }
            },
            streams: fanned,
            issuer: issuer,
            now: now,
            makeJTI: { Digests.randomIdentifier() }
        )
        return planned.map {
            NewSecurityEvent(
                streamID: $0.streamID,
                eventID: $0.eventID,
                jti: $0.jti,
                claims: String(decoding: JSONSerializer.serialize($0.claims), as: UTF8.self),
                held: $0.held
            )
        }
    }
}
