import Foundation
import LogoutCore
import LogoutJWT
import NIOHTTP1
import TestSupport
import Testing

/// OUT-4 end to end, with a 4 s overlap: `keys rotate` publishes the next key at once, signs with
/// it only after the overlap, keeps the old one published for the overlap after the switch, and
/// an RP that caches our JWKS (refreshing it every 2 s, never on an unknown kid) verifies every
/// token throughout.
@Suite(.serialized) struct KeyRotationEndToEndTests {
    static let idpKey = TokenForge.newES256(kid: "rotation-idp")

    /// An RP's JWKS cache: fetched when older than its lifetime, never because a kid is unknown.
    final class CachingRP: @unchecked Sendable {
        let jwksURL: String
        let lifetime: Duration
        var fetchedAt: ContinuousClock.Instant?
        var keys: JWKSet?
        init(jwksURL: String, lifetime: Duration) {
            self.jwksURL = jwksURL
            self.lifetime = lifetime
        }

        func verifies(_ token: String, daemon: DaemonProcess) async throws -> Bool {
            if fetchedAt.map({ $0.duration(to: .now) > lifetime }) ?? true {
                keys = try JWKSet.parse(Array(try await daemon.get(jwksURL).body.utf8))
                fetchedAt = .now
            }
            return try KeyRotationEndToEndTests.verify(token, with: try #require(keys))
        }
    }

    static func verify(_ token: String, with keys: JWKSet) throws -> Bool {
        let jws = try CompactJWS.parse(token)
        let header = CheckedHeader(algorithm: .es256, keyID: jws.header["kid"]?.stringValue)
        return JWSVerifier.verify(jws, header: header, keys: keys) == .valid
    }

    static func kid(_ token: String) -> String? { (try? CompactJWS.parse(token))?.header["kid"]?.stringValue }

    static func jwksKids(_ daemon: DaemonProcess) async throws -> Set<String> {
        let keys = try await daemon.get(daemon.publicURL + "/.well-known/jwks.json").json["keys"]?.arrayValue ?? []
        return Set(keys.compactMap { $0["kid"]?.stringValue })
    }

    /// One admin logout for a fresh session; returns the token the RP received.
    static func deliver(_ daemon: DaemonProcess, rp: TestServer, index: Int) async throws -> String {
        let before = rp.received.count
        _ = try await daemon.admin(
            .POST,
            "/admin/v1/sessions",
            ["issuer": "https://idp.example", "sub": .string("u\(index)"), "client_id": "app"]
        )
        _ = try await daemon.admin(.POST, "/admin/v1/logout", ["issuer": "idp", "sub": .string("u\(index)")])
        #expect(await eventually(timeout: 10) { rp.received.count > before })
        return try #require(rp.received.last?.formValue("logout_token"))
    }

    @Test func theNextKeyIsPublishedBeforeItSignsAndTheOldOneAfter() async throws {
        let rp = try await TestServer.start()
        let daemon = try DaemonProcess()
        daemon.environment = ["LOGOUTD_KEYS_ROTATION_OVERLAP": "4s"]
        try await daemon.start()
        let config = ["--config", daemon.configPath]
        try await daemon.registerIdP(Self.idpKey)
        _ = try await daemon.admin(
            .POST,
            "/admin/v1/rps",
            ["client_id": "app", "backchannel_logout_uri": .string(rp.url + "/bcl")]
        )
        let cachedBeforeRotate = try JWKSet.parse(
            Array(try await daemon.get(daemon.publicURL + "/.well-known/jwks.json").body.utf8)
        )
        let caching = CachingRP(jwksURL: daemon.publicURL + "/.well-known/jwks.json", lifetime: .seconds(2))
        let beforeRotate = try await Self.deliver(daemon, rp: rp, index: 0)
        let old = try #require(Self.kid(beforeRotate))
        #expect(try await caching.verifies(beforeRotate, daemon: daemon))

        var run = try await CLITests.run(["keys", "rotate", "--alg", "ES256", "--json"] + config)
        #expect(run.status == 0, "\(run.errors)")
        let rotated = try #require(run.json["keys"]?.arrayValue?.first)
        let new = try #require(rotated["kid"]?.stringValue)
        #expect(rotated["state"] == "next" && new != old)
        #expect(try await Self.jwksKids(daemon).isSuperset(of: [old, new]), "the next key is published at once")

        // Inside the overlap the old key still signs: even a cache from before `rotate` verifies.
        let duringOverlap = try await Self.deliver(daemon, rp: rp, index: 1)
        #expect(Self.kid(duringOverlap) == old)
        #expect(try Self.verify(duringOverlap, with: cachedBeforeRotate))
        #expect(try await caching.verifies(duringOverlap, daemon: daemon))

        // A second rotation while one is pending is refused, changing nothing.
        run = try await CLITests.run(["keys", "rotate", "--alg", "ES256"] + config)
        #expect(run.status == 7 && run.errors.contains("a rotation is pending"), "\(run.status) \(run.errors)")

        // The switch: the new key signs, the old one stays published.
        #expect(
            await eventually(timeout: 10, interval: 0.2) {
                let list = try? await CLITests.run(["keys", "list", "--json"] + config).json["keys"]?.arrayValue
                return list?.first { $0["kid"]?.stringValue == new }?["state"] == "active"
            }
        )
        let afterSwitch = try await Self.deliver(daemon, rp: rp, index: 2)
        #expect(Self.kid(afterSwitch) == new)
        #expect(try await caching.verifies(afterSwitch, daemon: daemon), "an RP caching our JWKS met an unknown kid")
        let published = try JWKSet.parse(
            Array(try await daemon.get(daemon.publicURL + "/.well-known/jwks.json").body.utf8)
        )
        #expect(try Self.verify(beforeRotate, with: published), "a token signed before the switch no longer verifies")
        #expect(try Self.verify(afterSwitch, with: published))
        run = try await CLITests.run(["keys", "list"] + config)
        #expect(run.output.contains("retiring") && run.output.contains("SIGNING SINCE"), "\(run.output)")

        // The overlap after the switch: the old key is withdrawn, and a restart keeps the schedule.
        #expect(
            await eventually(timeout: 10, interval: 0.2) { (try? await Self.jwksKids(daemon).contains(old)) == false }
        )
        await daemon.stop()
        try await daemon.start()
        let kids = try await Self.jwksKids(daemon)
        #expect(kids.contains(new) && !kids.contains(old))
        #expect(Self.kid(try await Self.deliver(daemon, rp: rp, index: 3)) == new)
        await daemon.stop()
        await rp.stop()
    }

    @Test func anEmergencyRotationSignsAtOnceWithAWarning() async throws {
        let daemon = try DaemonProcess()
        try await daemon.start()
        let config = ["--config", daemon.configPath]
        let before = try await Self.jwksKids(daemon)
        // A pending key (24 h overlap) is promoted by --now rather than replaced.
        var run = try await CLITests.run(["keys", "rotate", "--alg", "EdDSA", "--json"] + config)
        let pending = try #require(run.json["keys"]?.arrayValue?.first?["kid"]?.stringValue)
        run = try await CLITests.run(["keys", "rotate", "--alg", "EdDSA", "--now", "--json"] + config)
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.errors.contains("warning:") && run.errors.contains("unknown kid"))
        #expect(run.json["keys"]?.arrayValue?.first?["kid"]?.stringValue == pending)
        #expect(run.json["keys"]?.arrayValue?.first?["state"] == "active")
        let after = try await Self.jwksKids(daemon)
        #expect(after == before.union([pending]), "the replaced key stays published for the overlap")
        run = try await CLITests.run(["keys", "rotate", "--alg", "HS256"] + config)
        #expect(run.status == 6 && run.errors.contains("no key to rotate"), "\(run.errors)")
        await daemon.stop()
    }
}
