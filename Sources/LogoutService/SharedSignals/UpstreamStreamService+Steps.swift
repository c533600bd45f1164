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

    /// One step of a stream: create it, ask for its verification, or poll it. Returns how long
    /// to wait before the next (nil: at once).
    func step(_ stored: UpstreamStream, _ runner: inout Runner) async -> Duration? {
        var stream = stored
        do {
            let token = String(
                decoding: try secrets.open(stream.sealedToken, for: .upstreamToken(stream.issuerName)),
                as: UTF8.self
            )
            var wait: Duration?
            switch (stream.state, stream.settings.delivery) {
            case (.creating, _):
                try await create(&stream, token: token, &runner)
            case (.verifying, _)
            where runner.verificationRequestedAt.map { $0.duration(to: .now) > timing.reverify }
                ?? true:
                try await requestVerification(&stream, token: token, &runner)
                wait = stream.settings.delivery == .push ? timing.lease / 3 : nil
            case (_, .poll):
                wait = try await poll(&stream, token: token, &runner)
            case (_, .push):
                // Nothing to do but keep the lease: the transmitter pushes to us.
                wait = timing.lease / 3
            }
            if runner.failures > 0 {
                logger.info("SSF upstream stream recovered", metadata: ["issuer": "\(stream.issuerName)"])
            }
            runner.failures = 0
            runner.lastWarning = nil
            return wait
        } catch {
            runner.failures += 1
            let text = SafeText.printable("\(error)", limit: UpstreamStream.maximumErrorLength)
            let at = now()
            var latest = (try? await store.upstreamStream(issuer: stream.issuerName)) ?? stream
            guard latest.generation == stream.generation else { return nil }
            // What this step learnt (a stream id) is kept with the error.
            latest.streamID = stream.streamID
            latest.pollURL = stream.pollURL
            latest.configurationEndpoint = stream.configurationEndpoint
            latest.lastError = text
            latest.lastErrorAt = at
            _ = try? await store.recordUpstreamStream(latest, now: at)
            let delay = UpstreamStream.retryDelay(afterFailures: runner.failures)
            let metadata: Logger.Metadata = [
                "issuer": "\(stream.issuerName)", "error": "\(text)", "retry_in": "\(formatDuration(delay))",
            ]
            if runner.lastWarning != text {
                logger.warning("SSF upstream stream failed; will retry", metadata: metadata)
                runner.lastWarning = text
            } else {
                logger.debug("SSF upstream stream failed again", metadata: metadata)
            }
            return delay
        }
    }

    /// Reads the metadata, creates the stream (unless an earlier step did and only its
    /// verification failed), records it, and asks for verification.
    private func create(_ stream: inout UpstreamStream, token: String, _ runner: inout Runner) async throws {
        let endpoints = try await metadata(of: stream, token: token)
        if stream.streamID == nil {
            let request = TransmitterExchange.creationRequest(
                delivery: stream.settings.delivery,
                pushURL: pushURL(stream.issuerName),
                description: "logoutd at " + publicBaseURL
            )
            let answer = try await client.call(
                .post,
                endpoints.configurationEndpoint,
                bearer: token,
                json: request,
                timeout: timing.call
            )
            guard answer.status == 200 || answer.status == 201 else {
                throw Failure(
                    "the transmitter refused to create the stream: HTTP \(answer.status)"
                        + (answer.status == 409 ? " (it already has one for us: delete it there)" : "")
                        + Self.detail(answer)
                )
            }
            let created = try TransmitterExchange.createdStream(
                answer.body,
                delivery: stream.settings.delivery,
                allowHTTP: allowHTTP
            )
            stream.streamID = created.streamID
            stream.pollURL = created.pollURL
            stream.configurationEndpoint = endpoints.configurationEndpoint
            try await record(&stream)
            logger.info(
                "SSF upstream stream created",
                metadata: [
                    "issuer": "\(stream.issuerName)", "stream": "\(SafeText.printable(created.streamID, limit: 64))",
                    "delivery": "\(stream.settings.delivery.name)",
                ]
            )
        }
        try await requestVerification(&stream, token: token, &runner, endpoints: endpoints)
    }

    /// SSF §8.1.4.2. The state is recorded before it is asked for: the verification SET may
    /// arrive before the answer does.
    private func requestVerification(
        _ stream: inout UpstreamStream,
        token: String,
        _ runner: inout Runner,
        endpoints known: TransmitterExchange.Endpoints? = nil
    ) async throws {
        guard let streamID = stream.streamID else {
            stream.state = .creating
            try await record(&stream)
            return
        }
        let endpoints: TransmitterExchange.Endpoints
        if let known { endpoints = known } else { endpoints = try await metadata(of: stream, token: token) }
        guard let verification = endpoints.verificationEndpoint else {
            // Nothing to verify with: the stream is used as created, and says it was not verified.
            stream.state = .verified
            stream.verificationState = nil
            stream.lastError = nil
            try await record(&stream)
            runner.verificationRequestedAt = .now
            return
        }
        let state = Digests.randomIdentifier()
        stream.state = .verifying
        stream.verificationState = state
        try await record(&stream)
        let answer = try await client.call(
            .post,
            verification,
            bearer: token,
            json: TransmitterExchange.verificationRequest(streamID: streamID, state: state),
            timeout: timing.call
        )
        guard (200..<300).contains(answer.status) else {
            throw Failure(
                "the transmitter refused the verification request: HTTP \(answer.status)" + Self.detail(answer)
            )
        }
        runner.verificationRequestedAt = .now
        stream.lastError = nil
        stream.lastErrorAt = nil
        try await record(&stream)
        logger.info("SSF upstream stream verification requested", metadata: ["issuer": "\(stream.issuerName)"])
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
        let answer = try await client.call(
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
        guard answer.status == 200 else {
            throw Failure("the poll endpoint answered HTTP \(answer.status)" + Self.detail(answer))
        }
        // Delivered with this poll: the transmitter has them.
        runner.acknowledged = []
        runner.errors = [:]
        let polled = try TransmitterExchange.pollAnswer(answer.body)
        var heldBack: (String, Duration)?
        for set in polled.sets {
            switch await intake.receive(
                securityEvent: set.token,
                issuerName: stream.issuerName,
                clientAddress: nil,
                budgetKey: nil
            ) {
            case .accepted:
                runner.acknowledged.append(set.jti)
            case .rejected(let rejection):
                runner.errors[set.jti] = rejection.body
            case .rateLimited(let wait):
                heldBack = ("the issuer's budget of refused SETs is spent", wait)
            case .unavailable(let reason, let wait):
                heldBack = (reason, wait)
            }
            if heldBack != nil { break }
        }
        // The intake may have marked the stream verified meanwhile: write over the latest.
        var latest = (try await store.upstreamStream(issuer: stream.issuerName)) ?? stream
        guard latest.generation == stream.generation else { return nil }
        latest.lastPolledAt = now()
        if let (reason, _) = heldBack { throw Failure("polled SETs not applied yet: " + reason) }
        latest.lastError = nil
        latest.lastErrorAt = nil
        try await record(&latest)
        stream = latest
        if polled.moreAvailable || !runner.acknowledged.isEmpty || !runner.errors.isEmpty { return nil }
        let elapsed = started.duration(to: .now)
        return elapsed < timing.minimumPollInterval ? timing.minimumPollInterval - elapsed : nil
    }

    private func metadata(of stream: UpstreamStream, token: String) async throws -> TransmitterExchange.Endpoints {
        guard let issuer = try await store.issuer(named: stream.issuerName) else {
            throw Failure("the issuer is no longer registered")
        }
        let answer = try await client.call(.get, stream.settings.configurationURL, bearer: token, timeout: timing.call)
        guard answer.status == 200 else {
            throw Failure("the transmitter metadata answered HTTP \(answer.status)" + Self.detail(answer))
        }
        return try TransmitterExchange.endpoints(
            metadata: answer.body,
            issuer: issuer.issuer.issuer,
            delivery: stream.settings.delivery,
            allowHTTP: allowHTTP
        )
    }

    private func record(_ stream: inout UpstreamStream) async throws {
        let at = now()
        guard try await store.recordUpstreamStream(stream, now: at) else {
            throw CancellationError()
        }
        stream.updatedAt = at
    }

    /// Our push endpoint for the issuer (`SecurityEventPushRoute`).
    func pushURL(_ issuerName: String) -> String {
        let base = publicBaseURL.hasSuffix("/") ? String(publicBaseURL.dropLast()) : publicBaseURL
        return base + "/ssf/push/" + issuerName
    }

    private static func detail(_ answer: TransmitterClient.Answer) -> String {
        let text = answer.errorText
        return text.isEmpty ? "" : " (\(text))"
    }
}

extension UpstreamStreamService {
    /// Deletes our stream at the transmitter (SSF §8.1.1.5) when the admin replaces or removes
    /// it, so it stops holding SETs for nobody: bounded and best effort. A failure is logged
    /// with the stream id for the transmitter's admin; the change goes on.
    func retire(_ stream: UpstreamStream) async {
        guard let streamID = stream.streamID, let endpoint = stream.configurationEndpoint,
            var url = URLComponents(string: endpoint)
        else { return }
        url.queryItems = (url.queryItems ?? []) + [URLQueryItem(name: "stream_id", value: streamID)]
        var metadata: Logger.Metadata = [
            "issuer": "\(stream.issuerName)", "stream": "\(SafeText.printable(streamID, limit: 64))",
        ]
        do {
            let token = String(
                decoding: try secrets.open(stream.sealedToken, for: .upstreamToken(stream.issuerName)),
                as: UTF8.self
            )
            let answer = try await client.call(.delete, url.string ?? endpoint, bearer: token, timeout: timing.call)
            guard (200..<300).contains(answer.status) || answer.status == 404 else {
                throw Failure("HTTP \(answer.status)" + (answer.errorText.isEmpty ? "" : " (\(answer.errorText))"))
            }
            logger.info("SSF upstream stream deleted at the transmitter", metadata: metadata)
        } catch {
            metadata["error"] = "\(SafeText.printable("\(error)", limit: 256))"
            logger.warning(
                "SSF upstream stream could not be deleted at the transmitter; delete it there",
                metadata: metadata
            )
        }
    }
}
