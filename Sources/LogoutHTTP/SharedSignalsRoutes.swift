import Foundation
import Hummingbird
import LogoutCore
import NIOCore

/// The transmitter's endpoints on the public listener (SSF §7–8, contract C7): the metadata is
/// open, everything else answers only to a registered receiver's bearer token.
enum SharedSignalsRoutes {
    /// A stream configuration is a few hundred bytes; 64 KiB leaves room and refuses a flood.
    static let maximumBodyBytes = 64 * 1024
    static let challenge = #"Bearer realm="logoutd-ssf""#
    /// RFC 6750 §3.1: a presented token that is not one of ours says so in the challenge.
    static let invalidTokenChallenge = #"Bearer realm="logoutd-ssf", error="invalid_token""#

    static func register(on router: Router<LogoutRequestContext>, _ streams: any StreamManagement) {
        // SSF §7.2: an issuer with a path has its document under the well-known segment
        // followed by that path; the plain location answers too.
        let issuer = streams.metadata()["issuer"]?.stringValue ?? ""
        for wellKnown in Set([
            SSFTransmitterMetadata.wellKnownPath, SSFTransmitterMetadata.wellKnownPath(forIssuer: issuer),
        ]) {
            router.get(RouterPath(wellKnown)) { _, _ in
                JSONResponse.make(.ok, streams.metadata(), headers: [.cacheControl: "public, max-age=300"])
            }
        }
        let path = RouterPath(SSFTransmitterMetadata.streamsPath)
        router.post(path) { request, context in
            let receiver = try await authenticated(request, context, streams)
            let body = try await json(request, context)
            return JSONResponse.make(
                .created,
                try await answer { try await streams.createStream(body, receiver: receiver) }
            )
        }
        router.get(path) { request, context in
            let receiver = try await authenticated(request, context, streams)
            let id = request.uri.queryParameters.get("stream_id")
            return JSONResponse.make(.ok, try await answer { try await streams.readStreams(id, receiver: receiver) })
        }
        for (method, replace) in [(HTTPRequest.Method.patch, false), (.put, true)] {
            router.on(path, method: method) { request, context in
                let receiver = try await authenticated(request, context, streams)
                let body = try await json(request, context)
                return JSONResponse.make(
                    .ok,
                    try await answer { try await streams.changeStream(body, replace: replace, receiver: receiver) }
                )
            }
        }
        router.delete(path) { request, context in
            let receiver = try await authenticated(request, context, streams)
            guard let id = request.uri.queryParameters.get("stream_id") else {
                throw HTTPRefusal(.badRequest, "stream_id is required")
            }
            try await answer { try await streams.deleteStream(id, receiver: receiver) }
            return Response(status: .noContent, headers: [.cacheControl: "no-store"])
        }

        let status = RouterPath(SSFTransmitterMetadata.statusPath)
        router.get(status) { request, context in
            let receiver = try await authenticated(request, context, streams)
            guard let id = request.uri.queryParameters.get("stream_id") else {
                throw HTTPRefusal(.badRequest, "stream_id is required")
            }
            return JSONResponse.make(.ok, try await answer { try await streams.status(id, receiver: receiver) })
        }
        router.post(status) { request, context in
            let receiver = try await authenticated(request, context, streams)
            let body = try await json(request, context)
            return JSONResponse.make(.ok, try await answer { try await streams.updateStatus(body, receiver: receiver) })
        }

        router.post(RouterPath(SSFTransmitterMetadata.verificationPath)) { request, context in
            let receiver = try await authenticated(request, context, streams)
            let body = try await json(request, context)
            try await answer { try await streams.verify(body, receiver: receiver) }
            return Response(status: .noContent, headers: [.cacheControl: "no-store"])
        }
        router.post(RouterPath(SSFTransmitterMetadata.pollPathPrefix + "{stream_id}")) { request, context in
            let receiver = try await authenticated(request, context, streams)
            let id = try context.parameters.require("stream_id")
            let body = try await json(request, context)
            return JSONResponse.make(.ok, try await answer { try await streams.poll(id, body, receiver: receiver) })
        }

        for (subjectPath, remove) in [
            (SSFTransmitterMetadata.addSubjectPath, false), (SSFTransmitterMetadata.removeSubjectPath, true),
        ] {
            router.post(RouterPath(subjectPath)) { request, context in
                let receiver = try await authenticated(request, context, streams)
                let body = try await json(request, context)
                try await answer { try await streams.changeSubject(body, remove: remove, receiver: receiver) }
                return Response(status: remove ? .noContent : .ok, headers: [.cacheControl: "no-store"])
            }
        }
    }

    /// The receiver the `Authorization: Bearer` token names; 401 with a challenge otherwise
    /// (RFC 6750 §3), the same answer for a missing, malformed or unknown token; 403 for an
    /// access token without the scope (reads need `ssf.read` or `ssf.manage`, the rest
    /// `ssf.manage`).
    static func authenticated(
        _ request: Request,
        _ context: LogoutRequestContext,
        _ streams: any StreamManagement
    ) async throws -> String {
        guard let header = request.headers[.authorization] else {
            throw HTTPRefusal(
                .unauthorized(challenge: challenge),
                code: "invalid_token",
                "a registered SSF receiver's bearer token is required"
            )
        }
        let refusal = HTTPRefusal(
            .unauthorized(challenge: invalidTokenChallenge),
            code: "invalid_token",
            "a registered SSF receiver's bearer token is required"
        )
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else { throw refusal }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        // A receiver's own token is 43 characters; an RS256 access token a kilobyte or two.
        guard !token.isEmpty, token.count <= 8192 else { throw refusal }
        let authentication: StreamAuthentication
        do {
            authentication = try await streams.receiver(
                presenting: token,
                writing: request.method != .get,
                budgetKey: context.budgetKey
            )
        } catch {
            throw unavailable
        }
        switch authentication {
        case .receiver(let receiver):
            return receiver
        case .invalidToken:
            throw refusal
        case .insufficientScope(let why):
            let scope = request.method == .get ? "ssf.read" : "ssf.manage"
            throw HTTPRefusal(
                .insufficientScope(
                    challenge: #"Bearer realm="logoutd-ssf", error="insufficient_scope", scope="\#(scope)""#
                ),
                code: "insufficient_scope",
                why
            )
        case .rateLimited(let retryAfter):
            throw HTTPRefusal(
                .tooManyRequests(retryAfter: retryAfter),
                "too many refused tokens from this client; retry later"
            )
        }
    }

    static func json(_ request: Request, _ context: LogoutRequestContext) async throws -> JSONValue {
        // SSF §8's own examples send no Content-Type: none is read as JSON, another type is refused.
        if let type = request.headers[.contentType],
            type.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() != "application/json"
        {
            throw HTTPRefusal(.unsupportedMediaType, "the body must be application/json")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maximumBodyBytes)
        } catch {
            throw HTTPRefusal(.contentTooLarge, "the body is larger than \(maximumBodyBytes) bytes")
        }
        do {
            return try StrictJSONParser.parse(body.readableBytesView)
        } catch {
            throw HTTPRefusal(.badRequest, "the body is not valid JSON: \(error)")
        }
    }

    /// SSF's refusals keep their status; a store failure is a 503 to retry.
    @discardableResult
    static func answer<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as SSFRequestError {
            throw HTTPRefusal(kind(of: error), code: error.code, error.description)
        } catch let error as HTTPRefusal {
            throw error
        } catch let error as RegistryError {
            // A stream deleted meanwhile, an id taken meanwhile: final, not a reason to retry.
            switch error {
            case .notFound: throw HTTPRefusal(.notFound, code: "not_found", "no such stream")
            case .conflict(let text): throw HTTPRefusal(.conflict, code: "conflict", text)
            }
        } catch let error as any CorruptStoredData {
            // Our own data that does not read: a 500 with the details in the log, not a retry.
            throw error
        } catch {
            throw unavailable
        }
    }

    static func kind(of error: SSFRequestError) -> HTTPRefusal.Kind {
        switch error.status {
        case 404: return .notFound
        case 409: return .conflict
        case 429: return .tooManyRequests(retryAfter: .seconds(60))
        default: return .badRequest
        }
    }

    static let unavailable = HTTPRefusal(
        .unavailable(retryAfter: .seconds(2)),
        code: "temporarily_unavailable",
        "the database is unavailable; retry later"
    )
}
