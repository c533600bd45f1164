import AsyncHTTPClient
import Foundation
import LogoutCore
import NIOCore
import NIOHTTP1
import TestSupport

/// The real `logoutd` binary, started with a config file in a temporary folder.
final class DaemonProcess: @unchecked Sendable {
    let folder: TemporaryDirectory
    let publicPort: Int
    let adminPort: Int
    private(set) var process: Process
    let logPath: String
    let configPath: String
    /// Where it listens: loopback, or its namespace's end of the link.
    let host: String
    /// A network namespace of the test's, which it then runs in (a host of its own).
    let namespace: NetworkNamespace?

    var publicURL: String { "http://\(host):\(publicPort)" }
    /// Loopback; in a namespace, a unix socket in its folder (the admin API listens on loopback
    /// or a socket only, SEC-3, and a socket's path reaches across namespaces).
    var adminURL: String {
        namespace == nil
            ? "http://127.0.0.1:\(adminPort)"
            : "http+unix://" + folder.file("admin.sock").replacingOccurrences(of: "/", with: "%2F")
    }

    /// The binary SwiftPM built next to the test bundle.
    static var binary: String {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return executable.deletingLastPathComponent().appendingPathComponent("logoutd").path
    }

    /// Started under this soft open-files limit (through `ulimit -Sn`), when set.
    var openFilesSoftLimit: Int?
    /// Added to the test's environment, such as `NOTIFY_SOCKET`.
    var environment: [String: String] = [:]

    /// - Parameters:
    ///   - delivery: extra lines for the `delivery:` section, such as `per_rp_concurrency: 4`.
    ///   - extra: extra top-level YAML, such as `"tokens:\n  unknown_kid_cooldown: \"1s\""`.
    ///   - listener: extra lines for the `public:` section, such as `header_timeout: "2s"`.
    ///   - database: a PostgreSQL `database.url` instead of the SQLite file.
    ///   - busyTimeout: `database.busy_timeout`, such as `"10s"`: how long a write waits for
    ///     SQLite's lock, and PostgreSQL's bound of each operation.
    ///   - namespace: runs it inside this network namespace, listening on its address.
    init(
        folder: TemporaryDirectory = TemporaryDirectory(),
        delivery: [String] = [],
        listener: [String] = [],
        database: String? = nil,
        busyTimeout: String? = nil,
        namespace: NetworkNamespace? = nil,
        extra: String = ""
    ) throws {
        self.folder = folder
        self.namespace = namespace
        let host = namespace?.address ?? "127.0.0.1"
        self.host = host
        publicPort = freeLoopbackPort()
        adminPort = freeLoopbackPort()
        logPath = folder.file("logoutd.log")
        configPath = folder.file("logoutd.yaml")
        let config = """
            issuer: "http://\(host):\(publicPort)"
            public:
              listen: "\(host):\(publicPort)"
            \(listener.map { "  " + $0 }.joined(separator: "\n"))
            admin:
              listen: "\(namespace == nil ? "127.0.0.1:\(adminPort)" : "unix:" + folder.file("admin.sock"))"
              token_file: "admin-token"
            database:
              \(database.map { "url: \"\($0)\"" } ?? "path: \"data/logoutd.sqlite3\"")
              \(busyTimeout.map { "busy_timeout: \"\($0)\"" } ?? "")
            keys:
              dir: "keys"
            delivery:
              allow_private_networks: true
            \(delivery.map { "  " + $0 }.joined(separator: "\n"))
            log:
              level: "info"
            """ + "\n" + extra + "\n"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        process = Process()
    }

    /// Every test daemon runs without a single capability, as under its own systemd unit
    /// (`CapabilityBoundingSet=` empty): a socket option or syscall that needs one (SO_DEBUG, set
    /// by a `tcp_nodelay` at the wrong level, failed every delivery there) fails a test here,
    /// not a deployment. Root without capabilities is still root for files it owns.
    static let withoutCapabilities = [
        "/usr/bin/setpriv", "--bounding-set=-all", "--inh-caps=-all", "--ambient-caps=-all", "--no-new-privs", "--",
    ]

    func start() async throws {
        try launch()
        let ready = await eventually(timeout: 20, interval: 0.05) {
            guard process.isRunning else { return false }
            return (try? await self.get(publicURL + "/readyz").status) == .ok
        }
        guard ready else { throw DaemonError(description: "logoutd did not become ready:\n" + self.log) }
    }

    /// Starts the process without waiting for it to become ready: for a start meant to fail.
    func launch() throws {
        process = Process()
        guard FileManager.default.isExecutableFile(atPath: Self.withoutCapabilities[0]) else {
            throw DaemonError(description: "setpriv (util-linux) is needed to start the daemon without capabilities")
        }
        let command =
            (namespace?.exec ?? []) + Self.withoutCapabilities + [Self.binary, "serve", "--config", configPath]
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        let limit = openFilesSoftLimit.map { "ulimit -Sn \($0) && " } ?? ""
        process.arguments = ["-c", limit + "exec \"$0\" \"$@\""] + command
        var inherited = ProcessInfo.processInfo.environment
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] { inherited[name] = nil }
        process.environment = inherited.merging(environment) { $1 }
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The daemon's effective, permitted and bounding capability sets, from `/proc`.
    func capabilities() throws -> [String: String] {
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        var sets: [String: String] = [:]
        for line in status.split(separator: "\n") where line.hasPrefix("Cap") {
            let parts = line.split(separator: ":", maxSplits: 1)
            sets[String(parts[0])] = parts[1].trimmingCharacters(in: .whitespaces)
        }
        return sets
    }

    /// What a failing test shows: the deliveries not yet delivered, as the admin API lists them,
    /// and the daemon's last warnings and errors.
    func diagnosis() async -> String {
        var text = ""
        for status in ["pending", "retrying", "failed"] {
            let answer = try? await admin(.GET, "/admin/v1/deliveries?status=\(status)&limit=50")
            text += "\(status): \(answer?.body ?? "(no answer)")\n"
        }
        let lines = log.split(separator: "\n").filter { $0.contains("warning") || $0.contains("error") }
        return text + "log:\n" + lines.suffix(40).joined(separator: "\n")
    }

    var adminToken: String {
        ((try? String(contentsOfFile: folder.file("admin-token"), encoding: .utf8)) ?? "").trimmingCharacters(
            in: .whitespacesAndNewlines
        )
    }

    func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to end and returns its exit status.
    func waitForExit(timeout: Double = 20) async -> Int32? {
        let ended = await eventually(timeout: timeout, interval: 0.05) { !process.isRunning }
        return ended ? process.terminationStatus : nil
    }

    func stop() async {
        if process.isRunning {
            signal(SIGTERM)
            if await waitForExit() == nil { signal(SIGKILL) }
        }
    }

    // MARK: HTTP

    struct Answer {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: String
        var json: JSONValue { (try? StrictJSONParser.parse(Array(body.utf8))) ?? .null }
    }

    func get(_ url: String, headers: [(String, String)] = []) async throws -> Answer {
        try await request(url, method: .GET, headers: headers, body: nil)
    }

    func request(_ url: String, method: HTTPMethod, headers: [(String, String)], body: String?) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let buffer = try await response.body.collect(upTo: 4 << 20)
        return Answer(status: response.status, headers: response.headers, body: String(buffer: buffer))
    }

    @discardableResult
    func admin(_ method: HTTPMethod, _ path: String, _ body: JSONValue? = nil) async throws -> Answer {
        try await request(
            adminURL + path,
            method: method,
            headers: [("Authorization", "Bearer \(adminToken)"), ("Content-Type", "application/json")],
            body: body.map(JSONSerializer.string)
        )
    }

    /// Registers `https://idp.example` as `idp` with an inline JWKS holding `key`.
    func registerIdP(_ key: TokenForge.Key) async throws {
        let answer = try await admin(
            .POST,
            "/admin/v1/issuers",
            [
                "name": "idp", "issuer": "https://idp.example", "audience": "logoutd",
                "jwks": try TokenForge.jwks([key]),
            ]
        )
        guard answer.status == .created else { throw DaemonError(description: "issuer not registered: \(answer.body)") }
    }

    func postLogout(_ token: String, path: String = "/backchannel-logout") async throws -> Answer {
        try await request(
            publicURL + path,
            method: .POST,
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: "logout_token=" + token
        )
    }
}

struct DaemonError: Error, CustomStringConvertible {
    let description: String
}
