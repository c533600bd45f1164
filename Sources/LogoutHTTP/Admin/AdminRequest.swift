import Foundation
import Hummingbird
import LogoutAdminAPI
import LogoutCore
import NIOCore

/// Reading admin requests: bodies strictly (unknown members, repeated members and wrong types
/// are refused, naming the member), path parameters and list queries.
enum AdminRequest {
    static func body<T: AdminRequestBody>(
        _ type: T.Type,
        _ request: Request,
        _ context: LogoutRequestContext
    ) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: context.maxUploadSize)
        } catch {
            throw AdminError(
                .invalidRequest,
                "invalid_request",
                "the body is larger than \(context.maxUploadSize) bytes"
            )
        }
        return try AdminJSON.decodeRequest(type, from: Array(buffer.readableBytesView))
    }

    static func parameter(_ context: LogoutRequestContext, _ name: String) throws -> String {
        guard let value = context.parameters.get(name) else { throw AdminError.notFound("missing \(name)") }
        return value.removingPercentEncoding ?? value
    }

    static func identifier(_ context: LogoutRequestContext, _ name: String) throws -> Int64 {
        guard let value = Int64(try parameter(context, name)) else {
            throw AdminError.notFound("\(name) must be a number")
        }
        return value
    }

    static func sessionQuery(_ request: Request) throws -> SessionQuery {
        SessionQuery(
            issuer: string(request, "issuer"),
            sub: string(request, "sub"),
            clientID: string(request, "client_id"),
            limit: try limit(request)
        )
    }

    static func eventQuery(_ request: Request) throws -> EventQuery {
        EventQuery(
            outcome: try enumeration(request, "outcome", EventRecord.Outcome.self),
            issuer: string(request, "issuer"),
            sub: string(request, "sub"),
            limit: try limit(request),
            beforeID: try number(request, "before")
        )
    }

    static func deliveryQuery(_ request: Request) throws -> DeliveryQuery {
        DeliveryQuery(
            status: try enumeration(request, "status", DeliveryStatus.self),
            clientID: string(request, "client_id"),
            eventID: try number(request, "event_id"),
            limit: try limit(request),
            beforeID: try number(request, "before"),
            afterID: try number(request, "after")
        )
    }

    static func revocationQuery(_ request: Request) throws -> RevocationQuery {
        RevocationQuery(
            status: try enumeration(request, "status", RevocationStatus.self),
            eventID: try number(request, "event_id"),
            limit: try limit(request)
        )
    }

    static func string(_ request: Request, _ name: String) -> String? {
        request.uri.queryParameters[Substring(name)].map(String.init)
    }

    static func limit(_ request: Request) throws -> Int {
        guard let text = string(request, "limit") else { return 100 }
        guard let value = Int(text), (1...1000).contains(value) else {
            throw AdminError(.invalidRequest, "invalid_request", "limit must be a number from 1 to 1000")
        }
        return value
    }

    static func number(_ request: Request, _ name: String) throws -> Int64? {
        guard let text = string(request, name) else { return nil }
        guard let value = Int64(text) else {
            throw AdminError(.invalidRequest, "invalid_request", "\(name) must be a number")
        }
        return value
    }

    static func enumeration<T: RawRepresentable & CaseIterable>(
        _ request: Request,
        _ name: String,
        _ type: T.Type
    ) throws
        -> T? where T.RawValue == String
    {
        guard let text = string(request, name) else { return nil }
        guard let value = T(rawValue: text) else {
            throw AdminError(
                .invalidRequest,
                "invalid_request",
                "\(name) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        return value
    }
}
