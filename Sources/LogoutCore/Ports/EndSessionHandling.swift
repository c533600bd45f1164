/// The browser logout use case, as the public listener's pages see it.
public protocol EndSessionHandling: Sendable {
    /// - Parameter language: the pages' language, kept for the page after the upstream IdP.
    func endSession(
        _ request: EndSessionRequest,
        language: PageLanguage,
        browser: BrowserRequest
    ) async
        -> EndSessionAnswer
    /// The upstream IdP sent the browser back with our `state` (BR-6); the answer's language is
    /// the one chosen at the start.
    func callback(query: String?, browser: BrowserRequest) async -> (EndSessionAnswer, PageLanguage?)
    /// A request the pages could not read (its media type, size or encoding): charged to the
    /// address like every other refusal (SEC-4), `429` past its budget.
    func refuse(_ why: TokenRejection, browser: BrowserRequest) -> EndSessionOutcome
}

/// Who is asking, as far as a browser route needs to know: the address for the log and the
/// budget it is charged to (SEC-4), and the cookies it sent (the callback's binding).
public struct BrowserRequest: Sendable, Equatable {
    public var clientAddress: String?
    /// An IPv4 address or an IPv6 /64: what a refusal is charged to.
    public var budgetKey: String?
    /// Every `Cookie` header value, as sent.
    public var cookies: [String]

    public init(clientAddress: String? = nil, budgetKey: String? = nil, cookies: [String] = []) {
        self.clientAddress = clientAddress
        self.budgetKey = budgetKey
        self.cookies = cookies
    }

    /// The value of the cookie `name`, when the browser sent exactly that name.
    public func cookie(named name: String) -> String? {
        for header in cookies {
            for pair in header.split(separator: ";") {
                let parts = pair.drop { $0 == " " || $0 == "\t" }.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == name { return String(parts[1]) }
            }
        }
        return nil
    }
}

/// What `/end-session` and its callback answer, and the cookie that ties the upstream detour to
/// the browser that started it.
public struct EndSessionAnswer: Sendable, Equatable {
    public var outcome: EndSessionOutcome
    /// Set when the browser is sent to the upstream IdP with a `state` of ours: only a browser
    /// that carries it back is redirected by the callback.
    public var binding: BrowserBinding?
    /// The callback's cookie, spent: the answer removes it from the browser.
    public var spent: BrowserBinding?

    public init(_ outcome: EndSessionOutcome, binding: BrowserBinding? = nil, spent: BrowserBinding? = nil) {
        self.outcome = outcome
        self.binding = binding
        self.spent = spent
    }
}

/// A cookie bound to one callback `state` (BR-6): `SameSite=Lax`, so it comes back with the
/// upstream IdP's top-level redirect and with nothing another site embeds; `__Host-` and
/// `Secure` when our issuer is `https`.
public struct BrowserBinding: Sendable, Equatable {
    public var name: String
    public var value: String
    public var secure: Bool
    public var maxAge: Duration

    public init(name: String, value: String, secure: Bool, maxAge: Duration) {
        self.name = name
        self.value = value
        self.secure = secure
        self.maxAge = maxAge
    }

    /// The `Set-Cookie` value that sets it.
    public var header: String {
        var header = "\(name)=\(value); Path=/; HttpOnly; SameSite=Lax; Max-Age=\(maxAge.components.seconds)"
        if secure { header += "; Secure" }
        return header
    }

    /// The `Set-Cookie` value that removes it once used.
    public var clearing: String {
        "\(name)=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0" + (secure ? "; Secure" : "")
    }
}

public enum EndSessionOutcome: Sendable, Equatable {
    /// The signed-out page; `ended` tells whether a logout was recorded.
    case signedOut(ended: Bool)
    /// `303` to the RP's registered URI (with its `state`), after the logout was recorded.
    case redirect(String)
    /// The logout was recorded; the interstitial page loads each RP's front-channel logout URI
    /// in a hidden iframe (BR-7), then continues by itself to `next` (or shows it is done).
    case frontChannel(frames: [String], next: String?)
    /// An error page, status 400, no redirect, nothing fanned out.
    case refused(TokenRejection)
    /// An error page, status 429: this address sent too many refused requests (SEC-4).
    case rateLimited(retryAfter: Duration)
    /// An error page, status 503: the issuer's keys or our database are unavailable; trying
    /// again later may work.
    case unavailable(String, retryAfter: Duration)
}
