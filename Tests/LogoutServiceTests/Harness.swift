import Foundation
import Logging
import LogoutAdminAPI
import LogoutCore
import LogoutJWT
import LogoutStorage
import ServiceLifecycle
import TestSupport

@testable import LogoutService

/// The daemon's components on a temporary folder, wired exactly as the daemon wires them.
struct Harness {
    let folder: TemporaryDirectory
    let components: Components

    static let audience = "logoutd"
    static let idpIssuer = "https://idp.example"
    static let appIssuer = "https://app.example"
    static let appSecret = Array("app-shared-secret-of-32-bytes!!!".utf8)

    /// Signing keys made once for every harness: generating an RSA key in a debug build takes
    /// long enough, on a thread of the concurrency pool, to starve other tests' dispatchers.
    static let keysTemplate: String = {
        let folder = NSTemporaryDirectory() + "logoutd-test-keys-" + UUID().uuidString
        _ = try? SigningKeyStore.open(directory: folder)
        return folder
    }()

    static func configuration(
        in folder: TemporaryDirectory,
        _ configure: (inout LogoutdConfiguration) -> Void
    ) throws -> LogoutdConfiguration {
        var config = LogoutdConfiguration()
        config.databasePath = folder.file("db/logoutd.sqlite3")
        config.keysDirectory = folder.file("keys")
        try FileManager.default.copyItem(atPath: Self.keysTemplate, toPath: config.keysDirectory)
        config.adminTokenFile = folder.file("admin-token")
        config.allowPrivateNetworks = true
        config.databaseBusyTimeout = .milliseconds(200)
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
        _ configure: (inout LogoutdConfiguration) -> Void = { _ in },
        _ body: (Harness) async throws -> Void
    ) async throws {
        let folder = TemporaryDirectory()
        let config = try configuration(in: folder, configure)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let backend = try await StoreBackend.open(config, logger: logger)
        try await running([backend], logger: logger) {
            let components = try await Components.assemble(configuration: config, backend: backend, logger: logger)
            try await running(components.owners, logger: logger) {
                try await body(Harness(folder: folder, components: components))
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
