import Foundation
import Logging
import LogoutAdminAPI
import LogoutCore
import LogoutJWT
import LogoutPostgres
import LogoutStorage
import ServiceLifecycle
import Synchronization
import TestSupport

@testable import LogoutService

/// The daemon's components on a temporary folder, wired exactly as the daemon wires them, on
/// the store of a `StoreKind`: the SQLite file in the folder, or a fresh PostgreSQL database
/// (`database.url`), as `StoreBackend` chooses.
struct Harness {
    let folder: TemporaryDirectory
    let components: Components
    let kind: StoreKind
    /// The PostgreSQL database's URL, for a test's own statements; `nil` on SQLite.
    let postgresURL: String?

    static let audience = "logoutd"
    static let idpIssuer = "https://idp.example"
    static let appIssuer = "https://app.example"
    static let appSecret = Array("app-shared-secret-of-32-bytes!!!".utf8)

    /// Signing keys made once for every harness: generating an RSA key in a debug build takes
    /// long enough, on a thread of the concurrency pool, to starve other tests' dispatchers.
    private static let keysTemplateFolder: String = {
        let folder = NSTemporaryDirectory() + "logoutd-test-keys-" + UUID().uuidString
        _ = try? SigningKeyStore.open(directory: folder)
        return folder
    }()

    /// The template, made on a thread of its own: harnesses waiting for it on the cooperative
    /// threads (every test of a suite starts one) stalled the whole test process meanwhile.
    static func keysTemplate() async -> String {
        await onItsOwnThread { keysTemplateFolder }
    }

    static func configuration(
        in folder: TemporaryDirectory,
        _ kind: StoreKind,
        postgresURL: String?,
        _ configure: (inout LogoutdConfiguration) -> Void
    ) async throws -> LogoutdConfiguration {
        var config = LogoutdConfiguration()
        config.databasePath = folder.file("db/logoutd.sqlite3")
        config.databaseURL = try postgresURL.map { try DatabaseURL($0) }
        config.keysDirectory = folder.file("keys")
        try FileManager.default.copyItem(atPath: await Self.keysTemplate(), toPath: config.keysDirectory)
        config.adminTokenFile = folder.file("admin-token")
        config.allowPrivateNetworks = true
        // SQLite: a write that cannot get the lock fails fast (the 503 tests). PostgreSQL: the
        // bound of every operation, which a loaded machine must not reach.
        config.databaseBusyTimeout = kind == .sqlite ? .milliseconds(200) : .seconds(30)
        config.backoffInitial = .milliseconds(50)
        config.backoffMax = .milliseconds(200)
        config.deliveryTimeout = .seconds(2)
        config.shutdownTimeout = .seconds(2)
        configure(&config)
        return config
    }

    /// Runs `body` with a fresh harness. The store and what the components hold open (HTTP
    /// clients, the key cache) are run by their services for the body's duration, as the
    /// daemon's group runs them, and closed by them at its end; the other services are the
    /// test's to run.
    static func with(
        _ kind: StoreKind = .sqlite,
        now: @escaping @Sendable () -> Timestamp = { Timestamp(Date()) },
        configure: (inout LogoutdConfiguration) -> Void = { _ in },
        _ body: (Harness) async throws -> Void
    ) async throws {
        let folder = TemporaryDirectory()
        let postgresURL = kind == .postgres ? try await TestPostgres.freshDatabase() : nil
        let config = try await configuration(in: folder, kind, postgresURL: postgresURL, configure)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let backend = try await StoreBackend.open(config, logger: logger)
        try await running([backend], logger: logger) {
            let components = try await Components.assemble(
                configuration: config,
                backend: backend,
                logger: logger,
                now: now
            )
            try await running(components.owners, logger: logger) {
                try await body(Harness(folder: folder, components: components, kind: kind, postgresURL: postgresURL))
            }
        }
    }

    /// Runs `services` in a group while `body` runs, then stops them gracefully and waits.
    static func running(
        _ services: [any Service],
        logger: Logger,
        _ body: () async throws -> Void
    ) async throws {
        let group = ServiceGroup(services: services, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await body()
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    var admin: AdminService { components.admin }
    var database: any LogoutStore { components.database }

    /// An IdP with an inline JWKS and an app with a shared secret, both expecting `logoutd`.
    func registerIssuers(idpKeys: [TokenForge.Key]) async throws {
        _ = try await admin.createIssuer(
            IssuerRegistration(
                name: "idp",
                issuer: Self.idpIssuer,
                audience: Self.audience,
                jwks: try TokenForge.jwks(idpKeys)
            )
        )
        _ = try await admin.createIssuer(
            IssuerRegistration(
                name: "app",
                issuer: Self.appIssuer,
                audience: Self.audience,
                sharedSecret: String(decoding: Self.appSecret, as: UTF8.self)
            )
        )
    }

    func registerRP(
        _ clientID: String,
        uri: String,
        configure: (inout RelyingPartyRegistration) -> Void = { _ in }
    ) async throws {
        var registration = RelyingPartyRegistration(clientID: clientID, backchannelLogoutURI: uri)
        configure(&registration)
        _ = try await admin.createRelyingParty(registration)
    }

    func addSession(
        issuer: String = Harness.idpIssuer,
        sub: String = "user-1",
        sid: String? = "session-1",
        rp: String,
        rpSub: String? = nil,
        rpSid: String? = nil
    ) async throws {
        _ = try await admin.createSession(
            SessionRegistration(
                issuer: issuer,
                sub: sub,
                sid: sid,
                clientID: rp,
                rpSub: rpSub,
                rpSid: rpSid.map { .value($0) } ?? .absent
            )
        )
    }

    func deliveries() async throws -> [DeliveryRecord] {
        try await database.deliveries(DeliveryQuery(limit: 1000))
    }
}

/// A wall clock a test moves by hand, for the components' `now`: starts at the real time, so
/// tokens minted now are fresh by it.
final class ManualWallClock: Sendable {
    private let value = Mutex(Timestamp(Date()))

    func advance(_ duration: Duration) { value.withLock { $0 = $0 + duration } }

    var now: @Sendable () -> Timestamp { { self.value.withLock { $0 } } }
}

/// `value()` on a thread of the dispatch pool: for a slow one-time initializer, whose waiters
/// would otherwise block the few cooperative threads every test shares.
func onItsOwnThread<T: Sendable>(_ value: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: value()) }
    }
}
