import LogoutCore
import Testing

/// SSF-4, push (RFC 8935 §2.2–§2.4): what a receiver's answer means for the SET's delivery.
@Suite struct PushAnswerTests {
    @Test(
        arguments: [
            (
                "RFC 8935 §2.2 202 delivered", AttemptResult.response(HTTPAnswer(status: 202)),
                DeliveryClassifier.Verdict.delivered(standard: true)
            ),
            ("other 2xx delivered, non-standard", .response(HTTPAnswer(status: 200)), .delivered(standard: false)),
            ("204 delivered, non-standard", .response(HTTPAnswer(status: 204)), .delivered(standard: false)),
            (
                "RFC 8935 §2.3 400 with err is permanent, with the reason",
                .response(HTTPAnswer(status: 400, rpError: "invalid_audience: not for us")),
                .permanent(.http4xx, reason: "HTTP 400: invalid_audience: not for us")
            ),
            (
                "RFC 8935 §2.3 400 without an error object is permanent too",
                .response(HTTPAnswer(status: 400)),
                .permanent(.http4xx, reason: "HTTP 400 without an RFC 8935 error object")
            ),
            (
                "DEL-2 redirects are never followed", .response(HTTPAnswer(status: 307, location: "https://x/")),
                .permanent(.redirect, reason: "HTTP 307 redirect to https://x/ (redirects are never followed)")
            ),
            (
                "RFC 8935 §2 503 retries", .response(HTTPAnswer(status: 503)),
                .retryable(.http5xx, reason: "HTTP 503", retryAfter: nil)
            ),
            (
                "429 retries after Retry-After", .response(HTTPAnswer(status: 429, retryAfter: "30")),
                .retryable(.http4xx, reason: "HTTP 429", retryAfter: .seconds(30))
            ),
            (
                "401 retries: the receiver can fix its authorization_header by updating the stream",
                .response(HTTPAnswer(status: 401, rpError: "expired")),
                .retryable(.http4xx, reason: "HTTP 401: expired", retryAfter: nil)
            ),
            (
                "404 retries", .response(HTTPAnswer(status: 404)),
                .retryable(.http4xx, reason: "HTTP 404", retryAfter: nil)
            ),
            (
                "a status outside HTTP's classes retries", .response(HTTPAnswer(status: 999)),
                .retryable(.connection, reason: "HTTP 999", retryAfter: nil)
            ),
            (
                "network failures retry", .transportFailure(.timeout, detail: "10 s"),
                .retryable(.timeout, reason: "10 s", retryAfter: nil)
            ),
            (
                "DEL-8 a blocked address is permanent", .transportFailure(.blocked, detail: "private"),
                .permanent(.blocked, reason: "private")
            ),
        ]
    )
    func classifies(rule: String, result: AttemptResult, verdict: DeliveryClassifier.Verdict) {
        #expect(PushAnswer.classify(result) == verdict, "\(rule)")
    }

    /// RFC 8935 §2.3's error object, as the push sender reads it for the attempt log.
    @Test(
        arguments: [
            (
                #"{"err":"invalid_key","description":"Key ID 12345 has been revoked."}"#,
                "invalid_key: Key ID 12345 has been revoked." as String?
            ),
            (#"{"err":"invalid_request"}"#, "invalid_request"),
            (#"{"description":"no code"}"#, nil),
            (#"{"err":""}"#, nil),
            ("<html>Bad Request</html>", nil),
            ("", nil),
        ]
    )
    func readsTheErrorObject(body: String, text: String?) {
        #expect(SETErrorBody.parse(body: Array(body.utf8))?.description == text)
    }
}
