import Foundation
import Hummingbird
import HummingbirdTesting
import LogoutAdminAPI
import LogoutCore
import LogoutHTTP
import NIOCore
import TestSupport
import Testing

@testable import LogoutService

/// SSF stream management (SSF-1, SSF-2, contract C7) through the public listener's real router
/// on a live socket, on each store: a receiver the admin registered creates, reads, changes and
/// deletes its streams; another receiver's token finds none of them.
@Suite struct SharedSignalsStreamTests {
    struct Client {
        let client: any TestClientProtocol
        let token: String?

        func call(
            _ method: HTTPRequest.Method,
            _ uri: String,
            _ body: String? = nil
        ) async throws -> (HTTPResponse.Status, JSONValue?, HTTPFields) {
            var headers: HTTPFields = [:]
            if let token { headers[.authorization] = "Bearer " + token }
            if body != nil { headers[.contentType] = "application/json" }
            return try await client.execute(
                uri: uri,
                method: method,
                headers: headers,
                body: body.map { ByteBuffer(string: $0) }
            ) { response in
                let bytes = Array(response.body.readableBytesView)
                return (response.status, bytes.isEmpty ? nil : try? StrictJSONParser.parse(bytes), response.headers)
            }
        }
    }

    @Test func theMetadataNamesEveryEndpointUnderOurIssuer() async throws {
        try await Harness.with { harness in
            let app = Application(router: harness.components.publicRouter())
            try await app.test(.live) { client in
                let (status, body, _) = try await Client(client: client, token: nil)
                    .call(.get, "/.well-known/ssf-configuration")
                #expect(status == .ok)
                let issuer = harness.components.configuration.issuer
                #expect(body?["issuer"]?.stringValue == issuer)
                #expect(body?["spec_version"]?.stringValue == "1_0")
                #expect(body?["configuration_endpoint"]?.stringValue == issuer + "/ssf/streams")
                #expect(body?["jwks_uri"]?.stringValue == issuer + "/.well-known/jwks.json")
                #expect(body?["default_subjects"]?.stringValue == "ALL")
                #expect(body?["verification_endpoint"]?.stringValue == issuer + "/ssf/verify")
                #expect(body?["delivery_methods_supported"] == .array(["urn:ietf:rfc:8935", "urn:ietf:rfc:8936"]))
                #expect(
                    body?["authorization_schemes"]
                        == .array([
                            .object(["spec_urn": "urn:ietf:rfc:6749"]), .object(["spec_urn": "urn:ietf:rfc:6750"]),
                        ])
                )
            }
        }
    }

    /// SSF §7.2: an issuer with a path serves its document after the well-known segment.
    @Test func anIssuerWithAPathServesItsDocumentUnderThatPath() async throws {
        try await Harness.with(configure: { $0.issuer = "https://logout.example/tenant" }) { harness in
            let app = Application(router: harness.components.publicRouter())
            try await app.test(.live) { client in
                let caller = Client(client: client, token: nil)
                let (status, body, _) = try await caller.call(.get, "/.well-known/ssf-configuration/tenant")
                #expect(status == .ok)
                #expect(body?["issuer"]?.stringValue == "https://logout.example/tenant")
                #expect(try await caller.call(.get, "/.well-known/ssf-configuration").0 == .ok)
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aReceiverManagesItsOwnStreamsOnly(kind: StoreKind) async throws {
        try await Harness.with(kind) { harness in
            let siem = try await harness.admin.createReceiver(ReceiverRegistration(name: "siem"))
            let vpn = try await harness.admin.createReceiver(ReceiverRegistration(name: "vpn"))
            let app = Application(router: harness.components.publicRouter())
            try await app.test(.live) { client in
                let owner = Client(client: client, token: siem.token)
                let other = Client(client: client, token: vpn.token)
                let session = "https://schemas.openid.net/secevent/caep/event-type/session-revoked"

                let (created, stream, _) = try await owner.call(
                    .post,
                    "/ssf/streams",
                    #"{"events_requested":["\#(session)","urn:example:unknown"],"description":"SIEM"}"#
                )
                #expect(created == .created)
                let id = try #require(stream?["stream_id"]?.stringValue)
                #expect(stream?["aud"]?.stringValue == "siem")
                #expect(stream?["events_delivered"] == .array([.string(session)]))
                #expect(stream?["delivery"]?["method"]?.stringValue == "urn:ietf:rfc:8936")
                #expect(try await harness.database.stream(id: id)?.receiver == "siem")

                let (polled, pollStream, _) = try await owner.call(.post, "/ssf/streams", "{}")
                #expect(polled == .created)
                let pollID = try #require(pollStream?["stream_id"]?.stringValue)
                #expect(pollStream?["delivery"]?["method"]?.stringValue == "urn:ietf:rfc:8936")
                #expect(
                    pollStream?["delivery"]?["endpoint_url"]?.stringValue
                        == harness.components.configuration.issuer + "/ssf/poll/" + pollID
                )

                let (listed, all, _) = try await owner.call(.get, "/ssf/streams")
                #expect(listed == .ok)
                #expect(Set(all?.arrayValue?.compactMap { $0["stream_id"]?.stringValue } ?? []) == [id, pollID])
                #expect(try await owner.call(.get, "/ssf/streams?stream_id=" + id).1 == stream)

                // Another receiver sees none of them, changes none, deletes none.
                #expect(try await other.call(.get, "/ssf/streams").1 == .array([]))
                #expect(try await other.call(.get, "/ssf/streams?stream_id=" + id).0 == .notFound)
                #expect(try await other.call(.get, "/ssf/status?stream_id=" + id).0 == .notFound)
                #expect(
                    try await other.call(.patch, "/ssf/streams", #"{"stream_id":"\#(id)","description":"x"}"#).0
                        == .notFound
                )
                #expect(
                    try await other.call(.post, "/ssf/status", #"{"stream_id":"\#(id)","status":"disabled"}"#).0
                        == .notFound
                )
                #expect(try await other.call(.delete, "/ssf/streams?stream_id=" + id).0 == .notFound)
                let someone = #"{"stream_id":"\#(id)","subject":{"format":"email","email":"a@example.com"}}"#
                #expect(try await other.call(.post, "/ssf/subjects:remove", someone).0 == .notFound)
                #expect(try await other.call(.post, "/ssf/subjects:add", someone).0 == .notFound)
                #expect(try await harness.database.removedStreamSubjects(streamID: id).isEmpty)
                #expect(try await harness.database.stream(id: id) != nil)

                // PATCH keeps what it leaves out, the push credential included (same endpoint).
                let (patched, changed, _) = try await owner.call(
                    .patch,
                    "/ssf/streams",
                    #"{"stream_id":"\#(id)","description":"SIEM (prod)"}"#
                )
                #expect(patched == .ok)
                #expect(changed?["description"]?.stringValue == "SIEM (prod)")
                #expect(changed?["events_delivered"] == .array([.string(session)]))

                let (paused, status, _) = try await owner.call(
                    .post,
                    "/ssf/status",
                    #"{"stream_id":"\#(id)","status":"paused","reason":"maintenance"}"#
                )
                #expect(paused == .ok)
                #expect(status?["status"]?.stringValue == "paused")
                let (_, read, _) = try await owner.call(.get, "/ssf/status?stream_id=" + id)
                #expect(read?["status"]?.stringValue == "paused")
                #expect(read?["reason"]?.stringValue == "maintenance")

                let subject =
                    #"{"stream_id":"\#(id)","subject":{"format":"iss_sub","iss":"https://idp.example","sub":"marie"}}"#
                #expect(try await owner.call(.post, "/ssf/subjects:remove", subject).0 == .noContent)
                #expect(try await harness.database.removedStreamSubjects(streamID: id).count == 1)
                #expect(try await owner.call(.post, "/ssf/subjects:add", subject).0 == .ok)
                #expect(try await harness.database.removedStreamSubjects(streamID: id).isEmpty)

                #expect(try await owner.call(.delete, "/ssf/streams?stream_id=" + id).0 == .noContent)
                #expect(try await owner.call(.get, "/ssf/streams?stream_id=" + id).0 == .notFound)
            }
        }
    }

    /// Without a receiver's token nothing but the metadata answers; a bad body is a 400 or 415
    /// that stores nothing.
    @Test func everyStreamEndpointWantsAReceiversTokenAndAReadableBody() async throws {
        try await Harness.with { harness in
            let siem = try await harness.admin.createReceiver(ReceiverRegistration(name: "siem"))
            let app = Application(router: harness.components.publicRouter())
            try await app.test(.live) { client in
                for token in [nil, "", "not-a-token", String(siem.token.dropLast())] {
                    let caller = Client(client: client, token: token)
                    for (method, uri) in [
                        (HTTPRequest.Method.post, "/ssf/streams"), (.get, "/ssf/streams"), (.patch, "/ssf/streams"),
                        (.put, "/ssf/streams"), (.delete, "/ssf/streams?stream_id=x"),
                        (.get, "/ssf/status?stream_id=x"),
                        (.post, "/ssf/status"), (.post, "/ssf/subjects:add"), (.post, "/ssf/subjects:remove"),
                    ] {
                        let (status, body, headers) = try await caller.call(method, uri, method == .get ? nil : "{}")
                        #expect(status == .unauthorized, "\(method) \(uri) with \(token ?? "no token")")
                        #expect(headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                        // RFC 6750 §3.1: a presented token that is not ours is named invalid.
                        #expect(headers[.wwwAuthenticate]?.contains(#"error="invalid_token""#) == (token != nil))
                        #expect(body?["error"]?.stringValue == "invalid_token")
                    }
                }
                let owner = Client(client: client, token: siem.token)
                #expect(try await owner.call(.post, "/ssf/streams", "{not json").0 == .badRequest)
                #expect(
                    try await owner.call(.post, "/ssf/streams", #"{"delivery":{"method":"urn:example:smoke"}}"#).0
                        == .badRequest
                )
                #expect(
                    try await owner.call(
                        .post,
                        "/ssf/streams",
                        #"{"delivery":{"method":"urn:ietf:rfc:8936","endpoint_url":"https://elsewhere.example/"}}"#
                    ).0 == .badRequest
                )
                let plain = try await client.execute(
                    uri: "/ssf/streams",
                    method: .post,
                    headers: [.authorization: "Bearer " + siem.token, .contentType: "text/plain"],
                    body: ByteBuffer(string: "{}")
                ) { $0.status }
                #expect(plain == .unsupportedMediaType)
                #expect(try await harness.database.streams(receiver: nil).isEmpty)

                // SSF §8's examples send no Content-Type: read as JSON.
                let untyped = try await client.execute(
                    uri: "/ssf/streams",
                    method: .post,
                    headers: [.authorization: "Bearer " + siem.token],
                    body: ByteBuffer(string: "{}")
                ) { $0.status }
                #expect(untyped == .created)
                // A receiver holds a bounded number of streams.
                for _ in 1..<SSFLimits.maximumStreamsPerReceiver {
                    #expect(try await owner.call(.post, "/ssf/streams", "{}").0 == .created)
                }
                #expect(try await owner.call(.post, "/ssf/streams", "{}").0 == .conflict)
                #expect(
                    try await harness.database.streams(receiver: "siem").count == SSFLimits.maximumStreamsPerReceiver
                )
            }
        }
    }

    /// Removing a receiver ends its token and its streams.
    @Test(arguments: StoreKind.allCases)
    func aRemovedReceiversTokenStopsWorking(kind: StoreKind) async throws {
        try await Harness.with(kind) { harness in
            let siem = try await harness.admin.createReceiver(ReceiverRegistration(name: "siem"))
            #expect(siem.token.count >= 43, "a bearer token of 256 bits")
            let app = Application(router: harness.components.publicRouter())
            try await app.test(.live) { client in
                let owner = Client(client: client, token: siem.token)
                #expect(try await owner.call(.post, "/ssf/streams", "{}").0 == .created)
                #expect(try await harness.admin.receivers().receivers.map(\.streams) == [1])
                try await harness.admin.deleteReceiver(named: "siem")
                #expect(try await owner.call(.get, "/ssf/streams").0 == .unauthorized)
                #expect(try await harness.database.streams(receiver: nil).isEmpty)
                await #expect(throws: AdminError.self) { try await harness.admin.deleteReceiver(named: "siem") }
                await #expect(throws: AdminError.self) {
                    _ = try await harness.admin.createReceiver(ReceiverRegistration(name: "Not A Slug"))
                }
            }
        }
    }
}
