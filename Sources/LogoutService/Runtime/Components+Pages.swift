import Logging
import LogoutCore
import LogoutHTTP
import LogoutJWT

/// The browser pages, over the same operations as the admin API and the end-session use case.
extension Components {
    /// The delivery log page, over the same operations as the admin API.
    var pages: AdminPages {
        // The templates are constants of the binary: a parse failure is a bug the tests catch.
        var pages = try! AdminPages(
            operations: admin,
            authenticate: { [token = adminToken] in Digests.constantTimeEquals($0, token) },
            secretsMatch: Digests.constantTimeEquals,
            sessions: pageSessions,
            now: now,
            signIns: SignInBudget(
                spent: { [limiter, metrics] browser in
                    let wait = limiter.spent(client: browser.budgetKey)
                    if wait != nil { metrics.rateLimited(scope: "client") }
                    return wait
                },
                charge: { [limiter, metrics, logger = logger] browser in
                    metrics.requestRejected(rule: "SEC-3")
                    if case .exhausted(_, let retryAfter) = limiter.charge(client: browser.budgetKey, issuer: nil) {
                        metrics.rateLimited(scope: "client")
                        return retryAfter
                    }
                    if let suppressed = limiter.shouldLog(client: browser.budgetKey, route: "admin-login") {
                        logger.notice(
                            "admin page sign-in refused: wrong token",
                            metadata: [
                                "client": "\(browser.clientAddress ?? "unknown")",
                                "refusals_not_logged": "\(suppressed)",
                            ]
                        )
                    }
                    return nil
                }
            )
        )
        pages.traceLink = { [tracing = configuration.tracing] in tracing.link(traceID: $0) }
        return pages
    }

    /// RP-initiated logout pages on the public listener.
    var endSessionPages: EndSessionPages {
        // The template is a constant of the binary: a parse failure is a bug the tests catch.
        try! EndSessionPages(handler: endSession)
    }
}
