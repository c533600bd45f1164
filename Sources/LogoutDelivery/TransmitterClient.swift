import AsyncHTTPClient
import Foundation
import LogoutCore
import NIOCore
import NIOHTTP1

/// Our calls to an upstream SSF transmitter (the receiver role): its metadata, stream
/// management and poll endpoint, under the deliveries' guards. Only the URLs we were given or
/// read from its metadata, no redirects, private addresses only where the config allows them,
/// one deadline per call and a bounded answer.
public struct TransmitterClient: Sendable {
    public struct Answer: Sendable, Equatable {
        public var status: Int
        public var body: [UInt8]
        /// `Retry-After` in seconds, when the answer gave it so (a `429` or `503`).
        public var retryAfter: Duration?

        /// A short, printable excerpt of an error answer for the admin (its `error` or `err`
        /// and description when it gives them).
        public var errorText: String {
            RPErrorText.extract(from: body, contentType: "application/json") ?? ""
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        /// No answer within the deadline: for a long poll, the transmitter had nothing to say.
        public var timedOut = false
    }

    /// The methods SSF's endpoints use.
    public enum Method: Sendable {
        case get, post, delete

        var http: HTTPMethod {
            switch self {
            case .get: .GET
            case .post: .POST
            case .delete: .DELETE
            }
        }
    }

    private let clients: GuardedHTTPClients

    public init(clients: GuardedHTTPClients) {
        self.clients = clients
    }

    /// One request with an optional bearer token and JSON body; the answer whatever its status.
    public func call(
        _ method: Method,
        _ uri: String,
        bearer: String?,
        json: JSONValue? = nil,
        timeout: Duration,
        maximumBytes: Int = 64 * 1024
    ) async throws(Failure) -> Answer {
        guard let url = URL(string: uri), url.scheme == "https" || url.scheme == "http" else {
            throw Failure(description: "\(SafeText.printable(uri, limit: 200)) is not an http(s) URL")
        }
        do {
            return try await withDeadline(timeout, timedOut: { DeadlineExceeded() }) {
                let client = try await clients.client(for: url)
                var request = HTTPClientRequest(url: uri)
                request.method = method.http
                request.headers.add(name: "Accept", value: "application/json")
                request.headers.add(name: "User-Agent", value: "logoutd")
                if let bearer { request.headers.add(name: "Authorization", value: "Bearer " + bearer) }
                if let json {
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(bytes: JSONSerializer.serialize(json)))
                }
                let response = try await client.execute(request, deadline: .distantFuture)
                var body: [UInt8] = []
                for try await chunk in response.body {
                    body.append(contentsOf: chunk.readableBytesView)
                    if body.count > maximumBytes {
                        throw Failure(description: "the answer is larger than \(maximumBytes) bytes")
                    }
                }
                let retryAfter = response.headers.first(name: "Retry-After").flatMap { Int64($0) }.map {
                    Duration.seconds(min(max($0, 0), 3600))
                }
                return Answer(status: Int(response.status.code), body: body, retryAfter: retryAfter)
            }
        } catch let failure as Failure {
            throw failure
        } catch is DeadlineExceeded {
            throw Failure(description: "no answer within \(formatDuration(timeout))", timedOut: true)
        } catch {
            throw Failure(description: "\(error)")
        }
    }
}
