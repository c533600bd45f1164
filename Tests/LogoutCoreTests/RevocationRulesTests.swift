import LogoutCore
import Testing

/// BR-8 (RFC 7009 §2.2, §2.2.1): one row per kind of answer.
@Suite struct RevocationRulesTests {
    static let policy = RetryPolicy(maximumAttempts: 3, initialBackoff: .seconds(5), jitter: 0)

    static func decide(
        _ result: AttemptResult,
        attemptsBefore: Int = 0,
        createdAt: Timestamp = at(0)
    )
        -> RevocationTransition
    {
        var generator = SeededGenerator(state: 1)
        return RevocationRules.afterAttempt(
            result,
            attemptsBefore: attemptsBefore,
            createdAt: createdAt,
            finishedAt: at(100),
            policy: policy,
            using: &generator
        )
    }

    @Test(arguments: [
        // 200: revoked, also for a token the server did not know (§2.2).
        (AttemptResult.response(HTTPAnswer(status: 200)), RevocationStatus.revoked, nil as String?),
        // 503: try again later (§2.2.1).
        (.response(HTTPAnswer(status: 503)), .retrying, nil),
        // Network trouble: try again.
        (.transportFailure(.refused, detail: "connection refused"), .retrying, nil),
        (.transportFailure(.timeout, detail: "no answer within 10 s"), .retrying, nil),
        (.transportFailure(.dns, detail: "no address"), .retrying, nil),
        // Anything else will not change by itself: failed, with the server's reason.
        (
            .response(HTTPAnswer(status: 400, rpError: "unsupported_token_type: no")), .failed,
            "HTTP 400: unsupported_token_type: no"
        ),
        (.response(HTTPAnswer(status: 401, rpError: "invalid_client")), .failed, "HTTP 401: invalid_client"),
        (.response(HTTPAnswer(status: 204)), .failed, "HTTP 204"),
        (.response(HTTPAnswer(status: 500)), .failed, "HTTP 500"),
        (
            .response(HTTPAnswer(status: 302, location: "https://idp/login")), .failed,
            "HTTP 302 redirect to https://idp/login (redirects are never followed)"
        ),
        (.transportFailure(.blocked, detail: "a private address"), .failed, "a private address"),
    ])
    func answers(result: AttemptResult, status: RevocationStatus, reason: String?) {
        let transition = Self.decide(result)
        #expect(transition.status == status)
        #expect(transition.attempts == 1)
        #expect(transition.reason == reason)
        #expect(transition.eraseToken == (status == .revoked))
        #expect((transition.finishedAt != nil) == status.isFinal)
        #expect((transition.nextAttemptAt != nil) == (status == .retrying))
    }

    @Test func a503sRetryAfterIsHonouredAndTheBackoffOtherwise() {
        let asked = Self.decide(.response(HTTPAnswer(status: 503, retryAfter: "60")))
        #expect(asked.nextAttemptAt == at(160))
        let backoff = Self.decide(.transportFailure(.refused, detail: "refused"))
        #expect(backoff.nextAttemptAt == at(105))
    }

    @Test func itGivesUpAfterTheLastAttemptWithTheLastError() {
        let last = Self.decide(.response(HTTPAnswer(status: 503)), attemptsBefore: 2)
        #expect(last.status == .failed && last.attempts == 3)
        #expect(last.reason == "gave up after 3 attempts; last error: HTTP 503")
        #expect(!last.eraseToken)
    }

    @Test func whatCannotBeAttemptedFailsWithoutCountingAnAttempt() {
        let transition = RevocationRules.cannotAttempt(
            reason: "the token is no longer stored",
            attemptsBefore: 1,
            now: at(5)
        )
        #expect(transition.status == .failed && transition.attempts == 1 && transition.finishedAt == at(5))
    }
}

/// The request itself: RFC 7009 §2.1 body, RFC 6749 §2.3.1 client authentication.
@Suite struct RevocationRequestTests {
    @Test func clientSecretBasicFormEncodesBothPartsBeforeBase64() {
        let request = RevocationRequest(
            token: "a b+c/d=",
            type: .refreshToken,
            clientID: "logoutd@idp",
            clientSecret: "s3:cret"
        )
        #expect(request.form == "token=a%20b%2Bc%2Fd%3D&token_type_hint=refresh_token")
        // base64("logoutd%40idp:s3%3Acret")
        #expect(request.authorization == "Basic bG9nb3V0ZCU0MGlkcDpzMyUzQWNyZXQ=")
    }

    @Test func aPublicClientNamesItselfInTheBody() {
        let request = RevocationRequest(token: "t", type: .accessToken, clientID: "pub", clientSecret: nil)
        #expect(request.form == "token=t&token_type_hint=access_token&client_id=pub")
        #expect(request.authorization == nil)
    }

    /// Standard base64 with its padding, one row per padding length (and RFC 7617's example).
    @Test(arguments: [
        ("a", "b", "YTpi"), ("ab", "c", "YWI6Yw=="), ("abc", "d", "YWJjOmQ="),
        ("Aladdin", "open-sesame", "QWxhZGRpbjpvcGVuLXNlc2FtZQ=="),
    ])
    func base64IsStandardWithPadding(clientID: String, secret: String, expected: String) {
        let request = RevocationRequest(token: "t", type: .accessToken, clientID: clientID, clientSecret: secret)
        #expect(request.authorization == "Basic " + expected)
    }
}
