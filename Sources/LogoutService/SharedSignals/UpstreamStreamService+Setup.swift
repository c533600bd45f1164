import Foundation
import Logging
import LogoutCore
import LogoutDelivery
import LogoutJWT

/// Setting a stream up at its transmitter: creating (or adopting) it and asking for its
/// verification.
extension UpstreamStreamService {
    /// Reads the metadata and creates the stream (or adopts the one a transmitter that allows
    /// one stream per receiver already has), checks that its SETs will carry an audience we
    /// accept, records it, and asks for verification.
    func create(_ stream: inout UpstreamStream, token: String, _ runner: inout Runner) async throws {
        guard let issuer = try await store.issuer(named: stream.issuerName) else {
            throw Failure("the issuer is no longer registered")
        }
        let endpoints = try await metadata(of: stream, issuer: issuer.issuer.issuer, token: token)
        let created: TransmitterExchange.CreatedStream
        let origin = stream.settings.configurationURL
        let answer = try await client.call(
            .post,
            endpoints.configurationEndpoint,
            bearer: token,
            json: TransmitterExchange.creationRequest(
                delivery: stream.settings.delivery,
                pushURL: pushURL(stream.issuerName),
                description: "logoutd at " + publicBaseURL
            ),
            timeout: timing.call
        )
        switch answer.status {
        case 200, 201:
            created = try TransmitterExchange.createdStream(
                answer.body,
                delivery: stream.settings.delivery,
                allowHTTP: allowHTTP,
                origin: origin
            )
        case 409:
            created = try await adopt(stream, endpoints: endpoints, token: token, answer: answer)
        default:
            throw Failure("the transmitter refused to create the stream: HTTP \(answer.status)" + Self.detail(answer))
        }
        stream.streamID = created.streamID
        stream.pollURL = created.pollURL
        stream.configurationEndpoint = endpoints.configurationEndpoint
        let accepted = [publicBaseURL, issuer.issuer.audience]
        if !created.audience.isEmpty, Set(created.audience).isDisjoint(with: accepted) {
            // Every SET of it would be refused: said now, not discovered SET by SET.
            await retire(stream)
            stream.streamID = nil
            stream.pollURL = nil
            throw Failure(
                "the transmitter's stream has aud \(created.audience.joined(separator: ", ")), which its SETs will "
                    + "carry and we would refuse: have the transmitter use \(publicBaseURL) or "
                    + "\(issuer.issuer.audience), or register the issuer again with that audience"
            )
        }
        stream.state = .verifying
        stream.verificationState = nil
        stream.lastError = nil
        stream.lastErrorAt = nil
        try await record(&stream)
        runner.verificationDueAt = nil
        logger.info(
            "SSF upstream stream created",
            metadata: [
                "issuer": "\(stream.issuerName)", "stream": "\(SafeText.printable(created.streamID, limit: 64))",
                "delivery": "\(stream.settings.delivery.name)",
            ]
        )
        await requestVerification(&stream, token: token, &runner, endpoints: endpoints)
    }

    /// A `409` from a transmitter that holds one stream per receiver: ours, if it lists one we
    /// can use (the same delivery; for push, to our push URL), else the admin must delete it.
    func adopt(
        _ stream: UpstreamStream,
        endpoints: TransmitterExchange.Endpoints,
        token: String,
        answer conflict: TransmitterClient.Answer
    ) async throws -> TransmitterExchange.CreatedStream {
        let listed = try await client.call(.get, endpoints.configurationEndpoint, bearer: token, timeout: timing.call)
        let ours = TransmitterExchange.existingStreams(
            listed.status == 200 ? listed.body : [],
            delivery: stream.settings.delivery,
            allowHTTP: allowHTTP,
            origin: stream.settings.configurationURL
        ).filter { stream.settings.delivery == .poll || $0.pushURL == pushURL(stream.issuerName) }
        guard let existing = ours.first else {
            throw Failure(
                "the transmitter already has a stream for us that we cannot use (HTTP 409\(Self.detail(conflict))): "
                    + "delete it there"
            )
        }
        logger.notice(
            "SSF upstream stream adopted: the transmitter holds one stream per receiver",
            metadata: [
                "issuer": "\(stream.issuerName)", "stream": "\(SafeText.printable(existing.streamID, limit: 64))",
            ]
        )
        return existing
    }

    /// SSF §8.1.4.2, on the side of polling: a transmitter that refuses or rate-limits it (it
    /// may, `min_verification_interval`) does not stop the stream, only shows in its last error.
    /// The state is recorded before it is asked for: the verification SET may come first.
    func requestVerification(
        _ stream: inout UpstreamStream,
        token: String,
        _ runner: inout Runner,
        endpoints known: TransmitterExchange.Endpoints? = nil
    ) async {
        guard let streamID = stream.streamID else { return }
        var retryAfter: Duration?
        do {
            let endpoints: TransmitterExchange.Endpoints
            if let known {
                endpoints = known
            } else {
                guard let issuer = try await store.issuer(named: stream.issuerName) else {
                    throw Failure("the issuer is no longer registered")
                }
                endpoints = try await metadata(of: stream, issuer: issuer.issuer.issuer, token: token)
            }
            guard let verification = endpoints.verificationEndpoint else {
                // Nothing to verify with: the stream is used as created, and says it was not.
                stream.state = .verified
                stream.verificationState = nil
                try await record(&stream)
                return
            }
            stream.verificationState = Digests.randomIdentifier()
            try await record(&stream)
            let answer = try await client.call(
                .post,
                verification,
                bearer: token,
                json: TransmitterExchange.verificationRequest(
                    streamID: streamID,
                    state: stream.verificationState ?? ""
                ),
                timeout: timing.call
            )
            guard (200..<300).contains(answer.status) else {
                retryAfter = answer.retryAfter
                throw Failure(
                    "the transmitter refused the verification request: HTTP \(answer.status)" + Self.detail(answer)
                )
            }
            runner.verificationFailures = 0
            runner.verificationError = nil
            runner.verificationDueAt = .now + timing.reverify
            logger.info("SSF upstream stream verification requested", metadata: ["issuer": "\(stream.issuerName)"])
        } catch {
            if Task.isCancelled || error is CancellationError { return }
            runner.verificationFailures += 1
            let backOff = min(timing.reverify, .seconds(30) * (1 << min(runner.verificationFailures - 1, 4)))
            let delay = max(backOff, retryAfter ?? .zero)
            runner.verificationDueAt = .now + delay
            let text = Self.text(of: error, hiding: token)
            runner.verificationError = (text, now())
            await failed(stream, text, &runner, retryIn: delay)
        }
    }
}
