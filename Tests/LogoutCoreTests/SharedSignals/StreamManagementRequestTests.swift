import LogoutCore
import Testing

/// SSF-2: status (SSF §8.1.2), subjects (SSF §8.1.3) and verification (SSF §8.1.4) requests.
@Suite struct StreamManagementRequestTests {
    @Test func statusUpdatesMatchTheSpecExamples() throws {
        let plain = try StreamStatusUpdate.parse(
            ssfJSON(#"{"stream_id":"f67e39a0a4d34d56b3aa1bc4cff0069f","status":"paused"}"#)
        )
        #expect(
            plain == StreamStatusUpdate(streamID: "f67e39a0a4d34d56b3aa1bc4cff0069f", status: StreamStatus(.paused))
        )
        let reasoned = try StreamStatusUpdate.parse(
            ssfJSON(
                #"{"stream_id":"f67e39a0a4d34d56b3aa1bc4cff0069f","status":"paused","reason":"Disabled by administrator action."}"#
            )
        )
        // SSF §8.1.2.2's response echoes the request.
        #expect(
            reasoned.status.json(streamID: reasoned.streamID)
                == ssfJSON(
                    #"{"stream_id":"f67e39a0a4d34d56b3aa1bc4cff0069f","status":"paused","reason":"Disabled by administrator action."}"#
                )
        )
    }

    @Test(
        arguments: [
            ("SSF §8.1.2.2 stream_id required", #"{"status":"enabled"}"#),
            ("SSF §8.1.2.2 status required", #"{"stream_id":"s"}"#),
            ("SSF §8.1.2.1 status is enabled, paused or disabled", #"{"stream_id":"s","status":"stopped"}"#),
            ("reason not a string", #"{"stream_id":"s","status":"paused","reason":1}"#),
            ("stream_id with a control character", #"{"stream_id":"s\u0000","status":"paused"}"#),
        ]
    )
    func statusRefuses(rule: String, body: String) {
        #expect(
            ssfRefusal { () throws(SSFRequestError) in try StreamStatusUpdate.parse(ssfJSON(body)) }?.status == 400,
            "\(rule)"
        )
    }

    /// SSF §8.1.3.2's add-subject example; verified defaults to true.
    @Test(
        arguments: [
            (
                #"{"stream_id":"f67e39a0a4d34d56b3aa1bc4cff0069f","subject":{"format":"email","email":"example.user@example.com"},"verified":true}"#,
                SubjectRequest(
                    streamID: "f67e39a0a4d34d56b3aa1bc4cff0069f",
                    subject: .email("example.user@example.com")
                )
            ),
            (
                #"{"stream_id":"s","subject":{"format":"iss_sub","iss":"https://idp","sub":"u"},"verified":false}"#,
                SubjectRequest(streamID: "s", subject: .issSub(iss: "https://idp", sub: "u"), verified: false)
            ),
            (
                #"{"stream_id":"s","subject":{"format":"iss_sub","iss":"https://idp","sub":"u"}}"#,
                SubjectRequest(streamID: "s", subject: .issSub(iss: "https://idp", sub: "u"))
            ),
        ]
    )
    func subjectRequests(body: String, request: SubjectRequest) throws {
        #expect(try SubjectRequest.parse(ssfJSON(body)) == request)
    }

    @Test(
        arguments: [
            (
                "SSF §8.1.3.3 a subject format we cannot match (the spec's phone example)",
                #"{"stream_id":"s","subject":{"format":"phone","phone_number":"+12065550123"}}"#
            ),
            ("subject missing", #"{"stream_id":"s"}"#),
            (
                "SSF §8.1.4.1 a stream's opaque subject cannot be added or removed",
                #"{"stream_id":"s","subject":{"format":"opaque","id":"s"}}"#
            ),
            (
                "verified not a boolean",
                #"{"stream_id":"s","subject":{"format":"email","email":"a@b"},"verified":"yes"}"#
            ),
        ]
    )
    func subjectRefuses(rule: String, body: String) {
        #expect(
            ssfRefusal { () throws(SSFRequestError) in try SubjectRequest.parse(ssfJSON(body)) }?.status == 400,
            "\(rule)"
        )
    }

    @Test func verificationRequestsMatchTheSpecExample() throws {
        let request = try VerificationRequest.parse(
            ssfJSON(
                #"{"stream_id":"f67e39a0a4d34d56b3aa1bc4cff0069f","state":"VGhpcyBpcyBhbiBleGFtcGxlIHN0YXRlIHZhbHVlLgo="}"#
            )
        )
        #expect(
            request
                == VerificationRequest(
                    streamID: "f67e39a0a4d34d56b3aa1bc4cff0069f",
                    state: "VGhpcyBpcyBhbiBleGFtcGxlIHN0YXRlIHZhbHVlLgo="
                )
        )
        #expect(try VerificationRequest.parse(ssfJSON(#"{"stream_id":"s"}"#)).state == nil)
        #expect(
            ssfRefusal { () throws(SSFRequestError) in try VerificationRequest.parse(ssfJSON("{}")) }?.status == 400
        )
    }

    /// SSF §8.1.4.2: 429 inside min_verification_interval, never outside it.
    @Test(
        arguments: [
            (nil as Int64?, 30 as Int64?, false),
            (10, nil, false),
            (1, 30, true),
            (29, 30, true),
            (30, 30, false),
            (100, 30, false),
        ]
    )
    func verificationRate(secondsAgo: Int64?, interval: Int64?, refused: Bool) {
        let last = secondsAgo.map { Timestamp(millisecondsSince1970: 1_000_000 - $0 * 1000) }
        let error = ssfRefusal { () throws(SSFRequestError) in
            try VerificationRequest.checkRate(
                lastRequestedAt: last,
                now: Timestamp(millisecondsSince1970: 1_000_000),
                minimumInterval: interval.map { .seconds($0) }
            )
        }
        #expect((error?.status == 429) == refused)
    }
}
