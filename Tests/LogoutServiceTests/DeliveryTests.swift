import Foundation
import Logging
import LogoutAdminAPI
import LogoutCore
import LogoutJWT
import LogoutStorage
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

@testable import LogoutService

/// The dispatcher against real RP servers on 127.0.0.1 (rulebook sections 3 to 5), on each store.
@Suite(.serialized) struct DeliveryTests {
    static let idpKey = TokenForge.newES256(kid: "idp-1")

    /// Runs the dispatcher as the daemon does, in a service group, and stops it gracefully.
    static func withDispatcher(_ harness: Harness, _ body: () async throws -> Void) async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let group = ServiceGroup(services: [harness.components.dispatcher], logger: logger)
        let running = Task { try await group.run() }
        do {
            try await body()
        } catch {
            await group.triggerGracefulShutdown()
            _ = try? await running.value
            throw error
        }
        await group.triggerGracefulShutdown()
        try await running.value
    }

    static func logout(_ harness: Harness, sub: String? = "user-1", sid: String? = "session-1") async throws {
        let token = try TokenForge.logoutToken(
            issuer: Harness.idpIssuer,
            audience: Harness.audience,
            sub: sub,
            sid: sid,
            key: idpKey
        )
        let result = await harness.components.intake.receive(InboundLogout(token: token))
        guard case .accepted = result else { throw CancellationError() }
    }

    static func delivery(_ harness: Harness, client: String) async throws -> (DeliveryRecord, [AttemptRecord]) {
        let record = try #require(try await harness.deliveries().first { $0.clientID == client })
        return try #require(try await harness.database.delivery(id: record.id))
    }

    @Test(arguments: StoreKind.allCases)
    func retriesA503UntilItIsDeliveredWithAFreshTokenEachTime(kind: StoreKind) async throws {
        let rp = try await TestServer.start { index, _ in index < 2 ? Behavior(status: 503) : .ok }
        try await Harness.with(kind) { harness in
            try await harness.registerIssuers(idpKeys: [Self.idpKey])
            try await harness.registerRP("rp", uri: rp.url + "/bcl")
            try await harness.addSession(rp: "rp", rpSub: "rp-user", rpSid: "rp-session")
            try await Self.withDispatcher(harness) {
                try await Self.logout(harness)
                #expect(await eventually { (try? await Self.delivery(harness, client: "rp").0.status) == .delivered })
            }
            let (delivery, attempts) = try await Self.delivery(harness, client: "rp")
            #expect(delivery.attempts == 3 && delivery.lastStatusCode == 200)
            #expect(attempts.map(\.statusCode) == [503, 503, 200])
            #expect(attempts.map(\.errorClass) == [.http5xx, .http5xx, nil])
            let jtis = rp.received.compactMap { $0.formValue("logout_token") }.map { token in
                (try? CompactJWS.parse(token))?.payload["jti"]?.stringValue ?? ""
            }
            #expect(jtis.count == 3 && Set(jtis).count == 3)
            #expect(Set(jtis) == Set(attempts.map(\.jti)))
            let claims = try CompactJWS.parse(try #require(rp.received.last?.formValue("logout_token"))).payload
            #expect(claims["sub"] == "rp-user" && claims["sid"] == "rp-session" && claims["aud"] == "rp")
        }
        await rp.stop()
    }

    @Test(arguments: StoreKind.allCases)
    func badRequestAndRedirectFailAtOnceAndTheRedirectTargetHearsNothing(kind: StoreKind) async throws {
        let target = try await TestServer.start()
        let rejecting = try await TestServer.start { _, _ in
            .json(#"{"error":"invalid_request","error_description":"unknown sid"}"#, status: 400)
        }
        let redirecting = try await TestServer.start { _, _ in
            Behavior(status: 307, headers: [("Location", target.url + "/steal")])
        }
        // Answers 503 twice, then 200: delivered two backoffs after its first attempt.
        let witness = try await TestServer.start { index, _ in index < 2 ? Behavior(status: 503) : .ok }
        try await Harness.with(kind) { harness in
            try await harness.registerIssuers(idpKeys: [Self.idpKey])
            try await harness.registerRP("rejecting", uri: rejecting.url + "/bcl")
            try await harness.registerRP("redirecting", uri: redirecting.url + "/bcl")
            try await harness.registerRP("witness", uri: witness.url + "/bcl")
            try await harness.addSession(rp: "rejecting")
            try await harness.addSession(rp: "redirecting")
            try await harness.addSession(sub: "witness-user", sid: "witness-session", rp: "witness")
            try await Self.withDispatcher(harness) {
                try await Self.logout(harness)
                #expect(
                    await eventually { (try? await harness.deliveries().allSatisfy { $0.status == .failed }) == true }
                )
                // Nothing retries: a retry would be due one backoff after the failures, and the
                // witness, logged out after them, is delivered only two backoffs after that. By
                // then a retry would have been claimed, and the graceful stop lets it finish.
                try await Self.logout(harness, sub: "witness-user", sid: "witness-session")
                #expect(
                    await eventually { (try? await Self.delivery(harness, client: "witness").0.status) == .delivered }
                )
            }
            let (rejected, rejectedAttempts) = try await Self.delivery(harness, client: "rejecting")
            #expect(rejected.status == .failed && rejected.attempts == 1 && rejectedAttempts.count == 1)
            #expect(rejected.reason?.contains("unknown sid") == true)
            #expect(rejectedAttempts.first?.rpError == "invalid_request: unknown sid")
            let (redirected, _) = try await Self.delivery(harness, client: "redirecting")
            #expect(redirected.status == .failed && redirected.attempts == 1)
            #expect(redirected.reason?.contains(target.url + "/steal") == true)
        }
        #expect(rejecting.received.count == 1 && redirecting.received.count == 1)
        #expect(target.received.isEmpty)
        #expect(witness.received.count == 3)
        for server in [target, rejecting, redirecting, witness] { await server.stop() }
    }

    @Test(arguments: StoreKind.allCases)
    func aHangingRPIsCutAtTheTimeoutWhileTheOthersAreDeliveredAtOnce(kind: StoreKind) async throws {
        let hanging = try await TestServer.start { _, _ in Behavior(delay: 30) }
        let fast = try await TestServer.start()
        try await Harness.with(kind, configure: { $0.deliveryTimeout = .milliseconds(1500) }) { harness in
            try await harness.registerIssuers(idpKeys: [Self.idpKey])
            try await harness.registerRP("hanging", uri: hanging.url + "/bcl")
            for index in 0..<3 {
                try await harness.registerRP("fast\(index)", uri: fast.url + "/bcl\(index)")
                try await harness.addSession(rp: "fast\(index)")
            }
            try await harness.addSession(rp: "hanging")
            try await Self.withDispatcher(harness) {
                try await Self.logout(harness)
                // Observable order, not a stopwatch: every fast RP is delivered while the hanging
                // RP's attempt is still running (it has no attempt recorded yet).
                #expect(await eventually { fast.received.count == 3 })
                #expect(try await Self.delivery(harness, client: "hanging").1.isEmpty, "the fast RPs waited")
                #expect(await eventually { (try? await Self.delivery(harness, client: "hanging").1.count) == 1 })
                let (delivery, attempts) = try await Self.delivery(harness, client: "hanging")
                #expect(delivery.status == .retrying)
                #expect(attempts.first?.errorClass == .timeout)
                // Cut at its 1.5 s timeout, not after the RP's 30 s (a loaded machine may add
                // seconds to when the cut is noticed, never 28).
                let duration = attempts.first?.duration ?? .zero
                #expect(duration >= .milliseconds(1400) && duration < .seconds(20))
            }
        }
        await hanging.stop()
        await fast.stop()
    }

    @Test(arguments: StoreKind.allCases)
    func privateAddressesAreRefusedUnlessAllowed(kind: StoreKind) async throws {
        let rp = try await TestServer.start()
        try await Harness.with(kind, configure: { $0.allowPrivateNetworks = false }) { harness in
            try await harness.registerIssuers(idpKeys: [Self.idpKey])
            try await harness.registerRP("internal", uri: rp.url + "/bcl") { $0.allowHTTP = .value(true) }
            try await harness.addSession(rp: "internal")
            try await Self.withDispatcher(harness) {
                try await Self.logout(harness)
                #expect(
                    await eventually { (try? await Self.delivery(harness, client: "internal").0.status) == .failed }
                )
            }
            let (delivery, attempts) = try await Self.delivery(harness, client: "internal")
            #expect(attempts.first?.errorClass == .blocked)
            #expect(delivery.reason?.contains("loopback") == true)
        }
        #expect(rp.received.isEmpty)
        await rp.stop()
    }

    @Test(arguments: StoreKind.allCases)
    func aLateSubjectWideLogoutDoesNotEndANewerSession(kind: StoreKind) async throws {
        let rp = try await TestServer.start { _, _ in Behavior(status: 503) }
        try await Harness.with(kind) { harness in
            try await harness.registerIssuers(idpKeys: [Self.idpKey])
            try await harness.registerRP("rp", uri: rp.url + "/bcl")
            try await harness.addSession(sid: nil, rp: "rp")
            try await Self.withDispatcher(harness) {
                try await Self.logout(harness, sid: nil)
                #expect(await eventually { (try? await Self.delivery(harness, client: "rp").0.attempts) == 1 })
                // The user logs in again at the RP before the retry, on a later millisecond
                // than the logout (times are stored in milliseconds).
                let loggedOut = try #require(try await harness.deliveries().first?.createdAt)
                #expect(await eventually { Timestamp(Date()) > loggedOut })
                try await harness.addSession(sid: nil, rp: "rp")
                #expect(await eventually { (try? await Self.delivery(harness, client: "rp").0.status) == .skipped })
            }
            let (delivery, _) = try await Self.delivery(harness, client: "rp")
            #expect(delivery.reason == LateLogoutGuard.reason)
        }
        await rp.stop()
    }

    @Test(arguments: StoreKind.allCases)
    func hs256RPsGetTokensSignedWithTheirSecretAndNoKid(kind: StoreKind) async throws {
        let rp = try await TestServer.start()
        let secret = "rp-client-secret-rp-client-secret!"
        try await Harness.with(kind) { harness in
            try await harness.registerIssuers(idpKeys: [Self.idpKey])
            try await harness.registerRP("hs", uri: rp.url + "/bcl") {
                $0.signing = .value(SigningSettings(alg: .hs256, clientSecret: secret))
                $0.tokenIssuer = .value("https://login.example")
            }
            try await harness.addSession(rp: "hs")
            try await Self.withDispatcher(harness) {
                try await Self.logout(harness)
                #expect(await eventually { rp.received.count == 1 })
            }
            let jws = try CompactJWS.parse(try #require(rp.received.first?.formValue("logout_token")))
            #expect(jws.header["kid"] == nil && jws.header["alg"] == "HS256")
            #expect(jws.payload["iss"] == "https://login.example")
            #expect(
                JWSVerifier.verify(
                    jws,
                    header: CheckedHeader(algorithm: .hs256, keyID: nil),
                    sharedSecret: Array(secret.utf8)
                ) == .valid
            )
        }
        await rp.stop()
    }

    /// Q-5: on a graceful stop, an attempt in flight finishes within the stop timeout ...
    @Test(arguments: StoreKind.allCases)
    func gracefulStopLetsAttemptsInFlightFinish(kind: StoreKind) async throws {
        let rp = try await TestServer.start { _, _ in Behavior(delay: 0.5) }
        try await Harness.with(kind) { harness in
            try await harness.registerIssuers(idpKeys: [Self.idpKey])
            try await harness.registerRP("rp", uri: rp.url + "/bcl")
            try await harness.addSession(rp: "rp")
            try await Self.withDispatcher(harness) {
                try await Self.logout(harness)
                #expect(await eventually { rp.received.count == 1 })
            }
            let (delivery, _) = try await Self.delivery(harness, client: "rp")
            #expect(delivery.status == .delivered && delivery.attempts == 1)
        }
        await rp.stop()
    }

    /// A cancelled dispatcher (the service group tearing down after a failure, not a graceful
    /// stop) returns at once instead of retrying its store in a loop.
    @Test(arguments: StoreKind.allCases)
    func aCancelledDispatcherReturns(kind: StoreKind) async throws {
        try await Harness.with(kind) { harness in
            let returned = Atomic<Bool>(false)
            let running = Task {
                try? await harness.components.dispatcher.run()
                returned.store(true, ordering: .releasing)
            }
            // Its first pass is done: the loop is waiting for work when it is cancelled.
            #expect(await eventually { harness.components.heartbeat.count > 0 })
            running.cancel()
            // A dispatcher that retried its store in a loop would never return.
            #expect(await eventually { returned.load(ordering: .acquiring) })
        }
    }

    /// ... and one that outlasts it is cancelled and handed back, due at once, with no attempt
    /// counted: the next start takes it again.
    @Test(arguments: StoreKind.allCases)
    func gracefulStopHandsBackAttemptsThatOutlastTheTimeout(kind: StoreKind) async throws {
        let rp = try await TestServer.start { _, _ in Behavior(delay: 120) }
        // The attempt's own timeout (60 s) is far from the stop's (0.3 s): a stop that waited for
        // the attempt takes a minute, one that cut it well under 30 s even on a loaded machine.
        let configure: (inout LogoutdConfiguration) -> Void = {
            $0.shutdownTimeout = .milliseconds(300)
            $0.deliveryTimeout = .seconds(60)
        }
        try await Harness.with(kind, configure: configure) { harness in
            try await harness.registerIssuers(idpKeys: [Self.idpKey])
            try await harness.registerRP("rp", uri: rp.url + "/bcl")
            try await harness.addSession(rp: "rp")
            let started = ContinuousClock.now
            try await Self.withDispatcher(harness) {
                try await Self.logout(harness)
                #expect(await eventually { rp.received.count == 1 })
            }
            #expect(started.duration(to: .now) < .seconds(30))
            let (delivery, attempts) = try await Self.delivery(harness, client: "rp")
            #expect(delivery.status == .pending && delivery.attempts == 0 && attempts.isEmpty)
            #expect(try #require(delivery.nextAttemptAt) <= harness.components.now())
        }
        await rp.stop()
    }
}

/// Q-4 against a real RP: while it is down, a breaker bounds the attempts whatever the number of
/// logouts; when it comes back, everything waiting is delivered by itself.
