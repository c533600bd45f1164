import Foundation
import Logging
import LogoutCore
import LogoutJWT

/// Polls and verification (SSF-4, SSF §8.1.4): the stream's SETs leave the store signed.
extension StreamService {
    func poll(_ streamID: String, _ body: JSONValue, receiver: String) async throws -> JSONValue {
        let request = try PollRequest.parse(body)
        let stored = try await owned(streamID, by: receiver)
        guard try configuration(of: stored).delivery.method == .poll else {
            throw SSFRequestError.badRequest("this stream is delivered by push; poll a poll stream", rule: "SSF-4")
        }
        // Acknowledgements first (only the stream's pending SETs change), then what is left.
        _ = try await store.finishSecurityEvents(
            streamID: streamID,
            delivered: request.acknowledged,
            failed: request.errors.mapValues { String(describing: $0).prefix(256).description },
            now: now()
        )
        let unacknowledged = PollRequest(maxEvents: request.maxEvents, returnImmediately: request.returnImmediately)
        let deadline = ContinuousClock.now.advanced(by: longPoll)
        while true {
            let held = try await store.pendingSecurityEvents(streamID: streamID, limit: request.maxEvents + 1)
            let plan = PollPlan.plan(
                request: unacknowledged,
                held: try held.map { HeldSET(jti: $0.jti, token: try sign($0)) },
                maximumWait: longPoll
            )
            // A long poll with nothing to return looks again until its time is up.
            guard plan.wait != nil, ContinuousClock.now < deadline, !Task.isCancelled else {
                return plan.response.json
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    func verify(_ body: JSONValue, receiver: String) async throws {
        let request = try VerificationRequest.parse(body)
        let stored = try await owned(request.streamID, by: receiver)
        let configuration = try configuration(of: stored)
        let last = try await store.securityEvents(streamID: request.streamID, limit: 50).first { $0.eventID == nil }
        try VerificationRequest.checkRate(
            lastRequestedAt: last?.createdAt,
            now: now(),
            minimumInterval: configuration.minVerificationInterval.map { .seconds($0) }
        )
        // A disabled stream drops its events, a verification's too (SSF §8.1.2).
        guard stored.status != .disabled else { return }
        let jti = Digests.randomIdentifier()
        let claims = SecurityEventClaims.verification(
            issuer: issuer,
            audience: configuration.audience,
            streamID: request.streamID,
            state: request.state,
            issuedAt: now(),
            jti: jti
        )
        try await store.insertSecurityEvent(
            NewSecurityEvent(
                streamID: request.streamID,
                eventID: nil,
                jti: jti,
                claims: String(decoding: JSONSerializer.serialize(claims), as: UTF8.self),
                held: stored.status == .paused
            ),
            now: now()
        )
        pushes.signal()
        logger.info("SSF verification queued", metadata: ["receiver": "\(receiver)", "stream": "\(request.streamID)"])
    }

    private func sign(_ event: StoredSecurityEvent) throws -> String {
        guard case .object(let claims) = try StrictJSONParser.parse(Array(event.claims.utf8)) else {
            throw StreamConfiguration.StoredTextError(description: "stored SET \(event.jti): claims are not an object")
        }
        return try signer.sign(claims, now: now())
    }
}
