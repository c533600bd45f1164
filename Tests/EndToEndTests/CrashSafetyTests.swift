import Foundation
import LogoutCore
import NIOHTTP1
import TestSupport
import Testing

/// SIGKILL in the middle of a fan-out loses nothing (rulebook Q-1, IN-17).
@Suite(.serialized) struct CrashSafetyTests {
    static let idpKey = TokenForge.newES256(kid: "crash-idp")

    @Test func everyAcknowledgedLogoutIsDeliveredAfterAKillAndARestart() async throws {
        let slow = try await TestServer.start { _, _ in Behavior(delay: 0.25) }
        let fast = try await TestServer.start()
        let daemon = try DaemonProcess(delivery: ["per_rp_concurrency: 4"])
        try await daemon.start()
        try await daemon.registerIdP(Self.idpKey)
        for (id, server) in [("slow", slow), ("fast", fast)] {
            _ = try await daemon.admin(
                .POST,
                "/admin/v1/rps",
                ["client_id": .string(id), "backchannel_logout_uri": .string(server.url + "/bcl")]
            )
        }
        let burst = 80
        for index in 0..<burst {
            for rp in ["slow", "fast"] {
                _ = try await daemon.admin(
                    .POST,
                    "/admin/v1/sessions",
                    [
                        "issuer": "https://idp.example", "sub": .string("u\(index)"), "sid": .string("s\(index)"),
                        "client_id": .string(rp), "rp_sid": .string("s\(index)"),
                    ]
                )
            }
        }

        // A burst of logouts, posted concurrently; every 200 is a promise.
        let acknowledged = try await withThrowingTaskGroup(of: Int?.self) { group in
            for index in 0..<burst {
                group.addTask {
                    let token = try TokenForge.logoutToken(
                        issuer: "https://idp.example",
                        audience: "logoutd",
                        sub: "u\(index)",
                        sid: "s\(index)",
                        key: Self.idpKey
                    )
                    return try await daemon.postLogout(token).status == .ok ? index : nil
                }
            }
            var indexes: [Int] = []
            for try await index in group { if let index { indexes.append(index) } }
            return indexes
        }
        #expect(acknowledged.count == burst)

        // Kill it while the slow RP is still being served.
        #expect(await eventually(timeout: 10) { slow.received.count >= 4 })
        daemon.signal(SIGKILL)
        #expect(await daemon.waitForExit() != nil)
        let receivedBeforeKill = slow.received.count
        #expect(receivedBeforeKill < burst, "the fan-out finished before the kill; the test proves nothing")

        try await daemon.start()
        let events = try await daemon.admin(.GET, "/admin/v1/events?limit=1000").json["events"]?.arrayValue ?? []
        #expect(events.filter { $0["outcome"] == "accepted" }.count == burst)
        let allDelivered = await eventually(timeout: 60, interval: 0.2) {
            let pending = try? await daemon.admin(.GET, "/admin/v1/deliveries?status=pending&limit=1000").json[
                "deliveries"
            ]?.arrayValue
            let retrying = try? await daemon.admin(.GET, "/admin/v1/deliveries?status=retrying&limit=1000").json[
                "deliveries"
            ]?.arrayValue
            return pending?.isEmpty == true && retrying?.isEmpty == true
        }
        #expect(allDelivered, "deliveries are stuck")
        let delivered =
            try await daemon.admin(.GET, "/admin/v1/deliveries?status=delivered&limit=1000").json["deliveries"]?
            .arrayValue ?? []
        #expect(delivered.count == 2 * burst)

        // At the RPs: every acknowledged (event, RP) pair arrived at least once.
        for (rp, server) in [("slow", slow), ("fast", fast)] {
            let pairs = Set(
                server.received.compactMap { request -> String? in
                    guard let token = request.formValue("logout_token"), let jws = try? CompactJWS.parse(token) else {
                        return nil
                    }
                    return jws.payload["sid"]?.stringValue
                }
            )
            #expect(pairs == Set((0..<burst).map { "s\($0)" }), "\(rp) missed logouts")
        }
        await daemon.stop()
        await slow.stop()
        await fast.stop()
    }
}
