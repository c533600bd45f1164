import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
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
    /// Every header, names lower-cased (the last value of a repeated one).
    public var headers: [String: String] = [:]
    /// The body as received, for bodies that are not text (an OTLP export).
    public var bytes: [UInt8] = []

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
///
/// It stops gracefully: cancelling a NIO server while a connection it accepted is still queued
/// for it crashes the test process ("Deinited NIOAsyncWriter without calling finish()",
/// apple/swift-nio#3481), which happened when a daemon connected to an RP being stopped.
public final class TestServer: Sendable {
    public let port: Int
    private let requests: RequestLog
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    /// The address it listens on: loopback, or the host's end of a test's namespace link.
    public let host: String
    public var url: String { "http://\(host):\(port)" }

    public var received: [RecordedRequest] { requests.list.withLock { $0 } }

    public static func start(
        host: String = "127.0.0.1",
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
                receivedAt: Date(),
                headers: Dictionary(
                    request.headers.map { ($0.name.canonicalName, $0.value) },
                    uniquingKeysWith: { _, last in last }
                ),
                bytes: Array(buffer: buffer)
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
        router.delete("**", use: handler)
        router.patch("**", use: handler)
        let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            }
        )
        var logger = Logger(label: "test-server")
        logger.logLevel = .critical
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [], cancellationSignals: [], logger: logger)
        )
        let task = Task { try await group.run() }
        var port = 0
        for await value in portStream { port = value }
        return TestServer(host: host, port: port, requests: requests, group: group, task: task)
    }

    private init(host: String, port: Int, requests: RequestLog, group: ServiceGroup, task: Task<Void, any Error>) {
        self.host = host
        self.port = port
        self.requests = requests
        self.group = group
        self.task = task
    }

    /// Stops accepting, lets requests in progress finish, and cancels those still running after
    /// a second (a test's hanging RP): by then the listener is closed, so nothing accepted is
    /// left unserved.
    public func stop() async {
        await group.triggerGracefulShutdown()
        let task = self.task
        await withTaskGroup(of: Void.self) { waiting in
            waiting.addTask { _ = try? await task.value }
            waiting.addTask {
                guard (try? await Task.sleep(for: .seconds(1))) != nil else { return }
                task.cancel()
            }
            await waiting.next()
            waiting.cancelAll()
        }
    }

    deinit {
        // A test that ends early without `stop()`: the same order, without waiting.
        Task { [group, task] in
            await group.triggerGracefulShutdown()
            try? await Task.sleep(for: .seconds(1))
            task.cancel()
        }
    }
}

final class RequestLog: Sendable {
    let list = Mutex<[RecordedRequest]>([])
}
