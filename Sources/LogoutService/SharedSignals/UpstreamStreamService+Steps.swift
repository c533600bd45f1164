import Foundation
import Logging
import LogoutCore
import LogoutDelivery
import LogoutJWT

extension UpstreamStreamService {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// One step of a stream: create it, or (asking for its verification when that is due)
    /// poll it or keep its lease. Returns how long to wait before the next (nil: at once).
    func step(_ stored: UpstreamStream, _ runner: inout Runner) async -> Duration? {
        var stream = stored
        var token: String?
        do {
            let opened = String(
                decoding: try secrets.open(stream.sealedToken, for: .upstreamToken(stream.issuerName)),
                as: UTF8.self
            )
            token = opened
            var wait: Duration?
            if stream.state == .creating {
                try await create(&stream, token: opened, &runner)
            } else {
                if stream.state == .verifying, runner.verificationDueAt.map({ $0 <= .now }) ?? true {
                    await requestVerification(&stream, token: opened, &runner)
                }
                switch stream.settings.delivery {
                case .poll:
                    wait = try await poll(&stream, token: opened, &runner)
                case .push:
                    // Nothing to do but keep the lease: the transmitter pushes to us.
                    wait = timing.lease / 3
                }
            }
            if runner.failures > 0 {
                logger.info("SSF upstream stream recovered", metadata: ["issuer": "\(stream.issuerName)"])
            }
            runner.failures = 0
            runner.lastWarning = nil
            return wait
        } catch {
            if Task.isCancelled || error is CancellationError { return nil }
            runner.failures += 1
            let delay = UpstreamStream.retryDelay(afterFailures: runner.failures)
            await failed(stream, Self.text(of: error, hiding: token), &runner, retryIn: delay)
            return delay
        }
    }

    /// Keeps what went wrong on the stream (with what this step learnt, a stream id) and logs
    /// it once, not at every retry.
    func failed(_ stream: UpstreamStream, _ text: String, _ runner: inout Runner, retryIn delay: Duration) async {
        var failed = stream
        failed.lastError = text
        failed.lastErrorAt = now()
        _ = try? await record(&failed)
        let metadata: Logger.Metadata = [
            "issuer": "\(stream.issuerName)", "error": "\(text)", "retry_in": "\(formatDuration(delay))",
        ]
        if runner.lastWarning != text {
            logger.warning("SSF upstream stream failed; will retry", metadata: metadata)
            runner.lastWarning = text
        } else {
            logger.debug("SSF upstream stream failed again", metadata: metadata)
        }
    }

    /// Printable and bounded, and never the token, should a transmitter echo it back.
    static func text(of error: any Error, hiding token: String?) -> String {
        var text = "\(error)"
        if let token, !token.isEmpty { text = text.replacingOccurrences(of: token, with: "[token]") }
        return SafeText.printable(text, limit: UpstreamStream.maximumErrorLength)
    }

    /// One long poll: acknowledges what the last one brought, applies what this one brings.
    /// A SET is acknowledged only once the intake answered for it; one the store could not take
    /// is left unacknowledged, for the transmitter to send again.
    private func poll(_ stream: inout UpstreamStream, token: String, _ runner: inout Runner) async throws -> Duration? {
        guard let pollURL = stream.pollURL else {
            stream.state = .creating
            try await record(&stream)
            return nil
        }
        let started = ContinuousClock.now
        let answer: TransmitterClient.Answer
        do {
            answer = try await client.call(
                .post,
                pollURL,
                bearer: token,
                json: TransmitterExchange.pollRequest(
                    acknowledged: runner.acknowledged,
                    errors: runner.errors,
                    maxEvents: Self.pollBatch,
                    returnImmediately: false
                ),
                timeout: timing.poll,
                maximumBytes: 4 << 20
            )
        } catch {
            // A transmitter may hold a long poll longer than we wait: nothing new, and the
            // acknowledgements go again with the next poll (a repeat is harmless).
            if error.timedOut { return nil }
            throw error
        }
        guard answer.status == 200 else {
            throw Failure("the poll endpoint answered HTTP \(answer.status)" + Self.detail(answer))
        }
        // Delivered with this poll: the transmitter has them.
        runner.acknowledged = []
        runner.errors = [:]
        let polled = try TransmitterExchange.pollAnswer(answer.body)
        for jti in polled.malformed {
            runner.errors[jti] = SETErrorBody(.invalidRequest, description: "the value is not a SET (a JSON string)")
        }
        var heldBack: String?
        for set in polled.sets {
            switch await intake.receive(
                securityEvent: set.token,
                issuerName: stream.issuerName,
                clientAddress: nil,
                budgetKey: nil
            ) {
            case .accepted: runner.acknowledged.append(set.jti)
            case .rejected(let rejection): runner.errors[set.jti] = rejection.body
            case .rateLimited: heldBack = "the issuer's budget of refused SETs is spent"
            case .unavailable(let reason, _): heldBack = reason
            }
            if heldBack != nil { break }
        }
        let batch = Set(polled.sets.map(\.jti) + polled.malformed)
        let fresh = !batch.subtracting(runner.lastBatch).isEmpty
        runner.lastBatch = batch
        stream.lastPolledAt = now()
        if let heldBack { throw Failure("polled SETs not applied yet: " + heldBack) }
        // A good poll clears the last error, unless it is why the stream is not verified yet.
        stream.lastError = runner.verificationError?.text
        stream.lastErrorAt = runner.verificationError?.at
        try await record(&stream)
        if stream.state == .verified { runner.verificationError = nil }
        // At once again only for news: the next batch, or acknowledgements of new SETs.
        if fresh && (polled.moreAvailable || !runner.acknowledged.isEmpty || !runner.errors.isEmpty) { return nil }
        let elapsed = started.duration(to: .now)
        return elapsed < timing.minimumPollInterval ? timing.minimumPollInterval - elapsed : nil
    }

    func metadata(
        of stream: UpstreamStream,
        issuer: String,
        token: String
    ) async throws -> TransmitterExchange.Endpoints {
        let answer = try await client.call(.get, stream.settings.configurationURL, bearer: token, timeout: timing.call)
        guard answer.status == 200 else {
            throw Failure("the transmitter metadata answered HTTP \(answer.status)" + Self.detail(answer))
        }
        return try TransmitterExchange.endpoints(
            metadata: answer.body,
            configurationURL: stream.settings.configurationURL,
            issuer: issuer,
            delivery: stream.settings.delivery,
            allowHTTP: allowHTTP
        )
    }

    /// Writes `stream` over the stored one, which the intake may have marked verified meanwhile
    /// (a verification SET pushed or polled): that is kept. A step of a generation that is no
    /// longer stored, or of a lease taken over, ends (`CancellationError`).
    func record(_ stream: inout UpstreamStream) async throws {
        guard let latest = try await store.upstreamStream(issuer: stream.issuerName),
            latest.generation == stream.generation
        else { throw CancellationError() }
        if latest.state == .verified, stream.state == .verifying, latest.streamID == stream.streamID,
            latest.verificationState == stream.verificationState
        {
            stream.state = .verified
            stream.verifiedAt = latest.verifiedAt
        }
        let at = now()
        guard try await store.recordUpstreamStream(stream, owner: owner, now: at) else { throw CancellationError() }
        stream.updatedAt = at
    }

    /// Our push endpoint for the issuer (`SecurityEventPushRoute`).
    func pushURL(_ issuerName: String) -> String {
        let base = publicBaseURL.hasSuffix("/") ? String(publicBaseURL.dropLast()) : publicBaseURL
        return base + "/ssf/push/" + issuerName
    }

    static func detail(_ answer: TransmitterClient.Answer) -> String {
        let text = answer.errorText
        return text.isEmpty ? "" : " (\(text))"
    }
}
