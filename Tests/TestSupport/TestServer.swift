import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// A request a test server received.
public struct RecordedRequest: Sendable {
    public let method: String
    public let path: String
    public let query: String?
    public let contentType: String?
    public let authorization: String?
    public let body: String
    public let receivedAt: Date

    /// The form field `name`, URL-decoded.
    public func formValue(_ name: String) -> String? {
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.first == name {
                return parts.count > 1 ? parts[1].replacingOccurrences(of: "+", with: " ").removingPercentEncoding : ""
            }
        }
        return nil
    }
}

/// How a test server answers one request.
public struct Behavior: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: String
    /// Seconds to wait before answering.
    public var delay: Double

    public init(status: Int = 200, headers: [(String, String)] = [], body: String = "", delay: Double = 0) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
    }

    public static let ok = Behavior()
    public static func json(_ text: String, status: Int = 200) -> Behavior {
        Behavior(status: status, headers: [("Content-Type", "application/json")], body: text)
    }
}

/// A real HTTP server on 127.0.0.1, port chosen by the kernel, that records every request and
/// answers as the test says: an RP, a redirect target, or an IdP serving its JWKS.
public final class TestServer: Sendable {
    public let port: Int
    private let requests: RequestLog
    private let task: Task<Void, any Error>

    public var url: String { "http://127.0.0.1:\(port)" }

    public var received: [RecordedRequest] { requests.list.withLock { $0 } }

    public static func start(
        _ respond: @escaping @Sendable (_ index: Int, _ request: RecordedRequest) async -> Behavior = { _, _ in .ok }
    ) async throws -> TestServer {
        let requests = RequestLog()
        let router = Router()
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let recorded = RecordedRequest(
                method: request.method.rawValue,
                path: request.uri.path,
                query: request.uri.query,
                contentType: request.headers[.contentType],
                authorization: request.headers[.authorization],
                body: String(buffer: buffer),
                receivedAt: Date()
            )
            let index = requests.list.withLock { list in
                list.append(recorded)
                return list.count - 1
            }
            let behavior = await respond(index, recorded)
            if behavior.delay > 0 { try await Task.sleep(for: .milliseconds(Int64(behavior.delay * 1000))) }
            var fields = HTTPFields()
            for (name, value) in behavior.headers {
                if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
            }
            return Response(
                status: .init(code: behavior.status),
                headers: fields,
                body: .init(byteBuffer: ByteBuffer(string: behavior.body))
            )
        }
        router.post("**", use: handler)
        router.get("**", use: handler)
        let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            }
        )
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var port = 0
        for await value in portStream { port = value }
        return TestServer(port: port, requests: requests, task: task)
    }

    private init(port: Int, requests: RequestLog, task: Task<Void, any Error>) {
        self.port = port
        self.requests = requests
        self.task = task
    }

    public func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    deinit {
        task.cancel()
    }
}

final class RequestLog: Sendable {
    let list = Mutex<[RecordedRequest]>([])
}
