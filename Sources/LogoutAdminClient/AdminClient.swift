import AsyncHTTPClient
import Foundation
import LogoutAdminAPI
import LogoutCore
import NIOCore
import NIOHTTP1

/// The admin API over HTTP, for the CLI: the same `AdminOperations` the daemon implements, so a
/// command never opens the database (GRDB: "connect to any database file only once").
public final class AdminClient: AdminOperations, Sendable {
    /// Where the admin listener is: `http://127.0.0.1:8081` or a Unix socket path.
    public enum Endpoint: Sendable, Equatable, CustomStringConvertible {
        case http(String)
        case unixSocket(String)

        /// `http://host:port`, or `unix:/path` for a Unix socket.
        public init(_ text: String) {
            if text.hasPrefix("unix:") {
                self = .unixSocket(String(text.dropFirst(5)))
            } else {
                self = .http(text.hasSuffix("/") ? String(text.dropLast()) : text)
            }
        }

        public var description: String {
            switch self {
            case .http(let url): return url
            case .unixSocket(let path): return "unix:" + path
            }
        }

        func url(_ path: String) -> String {
            switch self {
            case .http(let base): return base + path
            case .unixSocket(let socket):
                let host = socket.addingPercentEncoding(withAllowedCharacters: .urlHostAllowed) ?? socket
                return "http+unix://" + host + path
            }
        }
    }

    /// Why a command could not be done, with what the operator should check.
    public enum Failure: Error, CustomStringConvertible, Sendable {
        case unreachable(Endpoint, String)
        case unauthorized(tokenSource: String)
        case api(AdminError)
        case unreadable(String)

        public var description: String {
            switch self {
            case .unreachable(let endpoint, let why):
                return "cannot reach the daemon's admin API at \(endpoint) (\(why)); is logoutd running?"
            case .unauthorized(let source):
                return
                    "the admin API refused the token read from \(source); it must equal the daemon's admin.token_file"
            case .api(let error):
                return "\(error.description) (\(error.code), HTTP \(error.httpStatus))"
            case .unreadable(let why):
                return "the admin API answered something unreadable: \(why)"
            }
        }
    }

    public let endpoint: Endpoint
    let token: String
    let tokenSource: String
    let http: HTTPClient

    public init(endpoint: Endpoint, token: String, tokenSource: String) {
        self.endpoint = endpoint
        self.token = token
        self.tokenSource = tokenSource
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(3))
        )
        configuration.connectionPool.retryConnectionEstablishment = false
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    // MARK: Transport

    struct Empty: Encodable {}

    func send<Body: Encodable, Answer: Decodable>(
        _ method: HTTPMethod,
        _ path: String,
        body: Body?,
        as answer: Answer.Type,
        timeout: TimeAmount = .seconds(30)
    ) async throws -> Answer {
        let bytes = try await exchange(method, path, body: body, timeout: timeout)
        do {
            return try AdminJSON.decoder.decode(Answer.self, from: Data(bytes))
        } catch {
            throw Failure.unreadable(String(describing: error))
        }
    }

    func exchange<Body: Encodable>(
        _ method: HTTPMethod,
        _ path: String,
        body: Body?,
        timeout: TimeAmount = .seconds(30)
    ) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: endpoint.url(path))
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer " + token)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try AdminJSON.encode(body)))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw Failure.unreachable(endpoint, String(describing: error))
        }
        let buffer = try await response.body.collect(upTo: 64 << 20)
        let bytes = Array(buffer.readableBytesView)
        try check(Int(response.status.code), body: bytes)
        return bytes
    }

    /// Throws the refusal a non-2xx answer carries.
    func check(_ status: Int, body bytes: [UInt8]) throws {
        if status == 401 { throw Failure.unauthorized(tokenSource: tokenSource) }
        guard (200..<300).contains(status) else {
            let refusal = try? AdminJSON.decoder.decode(AdminError.self, from: Data(bytes))
            throw Failure.api(
                AdminError(
                    status: status,
                    code: refusal?.code ?? "http_\(status)",
                    description: refusal?.description ?? "HTTP \(status)"
                )
            )
        }
    }

    func get<Answer: Decodable>(_ path: String, as answer: Answer.Type) async throws -> Answer {
        try await send(.GET, path, body: Empty?.none, as: answer)
    }

    static func query(_ items: [(String, String?)]) -> String {
        let present = items.compactMap { name, value in
            value.map { name + "=" + ($0.addingPercentEncoding(withAllowedCharacters: .urlQueryValueAllowed) ?? $0) }
        }
        return present.isEmpty ? "" : "?" + present.joined(separator: "&")
    }

    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathSegmentAllowed) ?? text
    }
}

extension CharacterSet {
    static let urlQueryValueAllowed = CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+?#"))
    static let urlPathSegmentAllowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))
}
