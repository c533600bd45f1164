import Logging
import LogoutCore

/// What the browser routes refuse, and what that costs the address that asked (SEC-4): past its
/// budget a `429`, counted and not logged; within it one log line a minute per address.
extension EndSessionService {
    func refuse(_ why: TokenRejection, browser: BrowserRequest) -> EndSessionOutcome {
        refuse(why, source: "unknown", browser)
    }

    /// - Parameters:
    ///   - detail: what the log says beyond the page (which RP, and why it could not be the one).
    ///   - page: what the browser sees within the budget; the refusal page by default.
    func refuse(
        _ why: TokenRejection,
        source: String,
        _ browser: BrowserRequest,
        detail: [String] = [],
        page: EndSessionOutcome? = nil
    ) -> EndSessionOutcome {
        metrics.requestRejected(rule: why.rule)
        if case .exhausted(_, let retryAfter) = limiter.charge(client: browser.budgetKey, issuer: nil) {
            metrics.rateLimited(scope: "client")
            return .rateLimited(retryAfter: retryAfter)
        }
        if let suppressed = limiter.shouldLog(client: browser.budgetKey, route: "end-session") {
            var metadata: Logger.Metadata = [
                "issuer": "\(source)", "rule": "\(why.rule)",
                "reason": "\(SafeText.printable(why.description, limit: 200))",
                "client": "\(browser.clientAddress ?? "unknown")", "refusals_not_logged": "\(suppressed)",
            ]
            if !detail.isEmpty {
                metadata["detail"] = "\(SafeText.printable(detail.joined(separator: "; "), limit: 300))"
            }
            logger.notice("end-session refused", metadata: metadata)
        }
        return page ?? .refused(why)
    }

    /// The issuer's keys cannot be had now (an unknown `kid` inside the refresh cool-down, a JWKS
    /// endpoint down): `503`. A forged hint can always name a new `kid`, so this is charged and
    /// throttled like a refusal, or it would be a way around the budget.
    func deferred(_ why: String, retryAfter: Duration, source: String, _ browser: BrowserRequest) -> EndSessionOutcome {
        if case .exhausted(_, let wait) = limiter.charge(client: browser.budgetKey, issuer: nil) {
            metrics.rateLimited(scope: "client")
            return .rateLimited(retryAfter: wait)
        }
        if let suppressed = limiter.shouldLog(client: browser.budgetKey, route: "end-session-keys") {
            logger.warning(
                "issuer keys unavailable",
                metadata: [
                    "issuer": "\(source)", "error": "\(SafeText.printable(why, limit: 200))",
                    "refusals_not_logged": "\(suppressed)",
                ]
            )
        }
        return .unavailable("the identity provider's keys cannot be fetched right now", retryAfter: retryAfter)
    }

    /// A repeated hint's trip upstream writes a return record: it is charged to the address,
    /// and past the budget the repeat skips the trip rather than being refused.
    func chargeRepeat(_ browser: BrowserRequest) -> Bool {
        if case .exhausted = limiter.charge(client: browser.budgetKey, issuer: nil) { return false }
        return true
    }

    func unavailable(_ error: any Error) -> EndSessionOutcome {
        logger.error("cannot record an end-session", metadata: ["error": "\(error)"])
        return .unavailable("the logout cannot be recorded right now", retryAfter: .seconds(5))
    }
}
