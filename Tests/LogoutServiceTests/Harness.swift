import Foundation
import Logging
import LogoutAdminAPI
import LogoutCore
import LogoutJWT
import LogoutStorage
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

    static func make(_ configure: (inout LogoutdConfiguration) -> Void = { _ in }) async throws -> Harness {
        let folder = TemporaryDirectory()
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
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return Harness(folder: folder, components: try await Components.assemble(configuration: config, logger: logger))
    }

    /// Runs `body` with a fresh harness and always shuts it down (HTTP clients must be closed).
    static func with(
        _ configure: (inout LogoutdConfiguration) -> Void = { _ in },
        _ body: (Harness) async throws -> Void
    ) async throws {
        let harness = try await make(configure)
        do {
            try await body(harness)
        } catch {
            await harness.components.shutdown()
            throw error
        }
        await harness.components.shutdown()
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
