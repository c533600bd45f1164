import LogoutAdminAPI
import LogoutCore

/// The tables the CLI prints for each resource: what an operator reads first, in the order they
/// read it.
public enum Views {
    public static func issuers(_ list: IssuerList) -> Table {
        var table = Table(["NAME", "ISS", "AUDIENCE", "KEYS", "ALGORITHMS", "SSF", "CREATED"])
        for issuer in list.issuers {
            table.add([
                .init(issuer.name), .init(issuer.issuer), .init(issuer.audience),
                .init(issuer.keySource == "jwks_uri" ? issuer.jwksURI ?? "jwks_uri" : issuer.keySource),
                .init(issuer.algorithms.joined(separator: ",")), upstream(issuer.ssf),
                .init(issuer.createdAt.rfc3339, .dim),
            ])
        }
        return table
    }

    public static func relyingParties(_ list: RelyingPartyList) -> Table {
        var table = Table(["CLIENT_ID", "STATE", "BREAKER", "SIGNING", "SUBJECTS", "BACKCHANNEL_LOGOUT_URI"])
        for rp in list.rps {
            table.add([
                .init(rp.clientID), rp.enabled ? .init("enabled", .good) : .init("disabled", .warning),
                breaker(rp.breaker.state), .init(rp.signing.alg.rawValue), .init(rp.subjects.rawValue),
                .init(rp.backchannelLogoutURI),
            ])
        }
        return table
    }

    public static func relyingParty(_ rp: RelyingPartyResource) -> Table {
        var table = Table(["FIELD", "VALUE"])
        let fields: [(String, String)] = [
            ("client_id", rp.clientID), ("enabled", String(rp.enabled)),
            ("backchannel_logout_uri", rp.backchannelLogoutURI),
            ("backchannel_logout_session_required", String(rp.sessionRequired)),
            ("signing", rp.signing.alg.rawValue + (rp.hasClientSecret ? " (client secret stored)" : "")),
            ("token_issuer", rp.tokenIssuer ?? "-"), ("subjects", rp.subjects.rawValue),
            ("issuers", rp.issuers.joined(separator: ", ")), ("allow_http", String(rp.allowHTTP)),
            ("post_logout_redirect_uris", rp.postLogoutRedirectURIs.joined(separator: ", ")),
            ("frontchannel_logout_uri", rp.frontchannelLogoutURI ?? "-"),
            ("created_at", rp.createdAt.rfc3339), ("updated_at", rp.updatedAt.rfc3339),
            ("breaker", rp.breaker.state.rawValue + (rp.breaker.since.map { " since " + $0.rfc3339 } ?? "")),
            ("breaker.consecutive_failures", String(rp.breaker.consecutiveFailures)),
            ("breaker.last_error", rp.breaker.lastError ?? "-"),
            ("breaker.next_probe_at", rp.breaker.nextProbeAt?.rfc3339 ?? "-"),
        ]
        for (name, value) in fields { table.add([.init(name, .dim), .init(value)]) }
        return table
    }

    public static func sessions(_ list: SessionList, now: Timestamp) -> Table {
        var table = Table(["ID", "ISSUER", "SUB", "SID", "CLIENT_ID", "RP_SUB", "RP_SID", "CREATED", "STATE"])
        for session in list.sessions {
            table.add([
                .init(String(session.id)), .init(session.issuerName), .init(session.sub), .init(session.sid ?? "-"),
                .init(session.clientID), .init(session.rpSub), .init(session.rpSid ?? "-"),
                .init(RelativeTime.describe(session.createdAt, now: now), .dim),
                session.endedAt.map { .init("ended " + RelativeTime.describe($0, now: now), .dim) }
                    ?? .init("live", .good),
            ])
        }
        return table
    }

    public static func events(_ list: EventList, now: Timestamp) -> Table {
        var table = Table(["ID", "RECEIVED", "SOURCE", "OUTCOME", "SUB", "SID", "DELIVERIES", "REASON"])
        for event in list.events {
            table.add([
                .init(String(event.id)), .init(RelativeTime.describe(event.receivedAt, now: now), .dim),
                .init(event.source), outcome(event.outcome), .init(event.sub ?? "-"), .init(event.sid ?? "-"),
                .init(String(event.deliveries)), .init(event.reason ?? ""),
            ])
        }
        return table
    }

    public static func deliveries(_ list: DeliveryList, now: Timestamp) -> Table {
        var table = Table(["ID", "EVENT", "CLIENT_ID", "STATUS", "ATTEMPTS", "WHEN", "LAST", "ERROR"])
        for delivery in list.deliveries {
            table.add(deliveryRow(delivery, now: now))
        }
        return table
    }

    public static func deliveryRow(_ delivery: DeliveryResource, now: Timestamp) -> [Table.Cell] {
        [
            .init(String(delivery.id)), .init(String(delivery.eventID)), .init(delivery.clientID),
            status(delivery), .init(String(delivery.attempts)), .init(when(delivery, now: now)),
            .init(delivery.lastStatusCode.map(String.init) ?? "-"), .init(delivery.reason ?? delivery.lastError ?? ""),
        ]
    }

    /// The one time that matters for a delivery's state.
    static func when(_ delivery: DeliveryResource, now: Timestamp) -> String {
        if let since = delivery.inFlightSince {
            return "attempt \(delivery.inFlightAttempt ?? delivery.attempts + 1) since "
                + RelativeTime.describe(since, now: now)
        }
        switch delivery.status {
        case .delivered: return "delivered " + RelativeTime.describe(delivery.deliveredAt, now: now)
        case .pending, .retrying: return "next " + RelativeTime.describe(delivery.nextAttemptAt, now: now)
        case .failed, .skipped: return "created " + RelativeTime.describe(delivery.createdAt, now: now)
        }
    }

    public static func attempts(_ delivery: DeliveryResource) -> Table {
        var table = Table([
            "ATTEMPT", "STARTED", "DURATION", "STATUS", "ERROR_CLASS", "ADDRESS", "JTI", "TRACE", "RP_ERROR",
        ])
        for attempt in delivery.attemptLog ?? [] {
            table.add([
                .init(String(attempt.attempt)), .init(attempt.startedAt.rfc3339, .dim),
                .init("\(attempt.durationMilliseconds) ms"), .init(attempt.statusCode.map(String.init) ?? "-"),
                .init(attempt.errorClass?.rawValue ?? "-", attempt.errorClass == nil ? .good : .bad),
                .init(attempt.remoteAddress ?? "-", .dim), .init(attempt.jti, .dim),
                .init(attempt.traceID ?? "-", .dim), .init(attempt.rpError ?? ""),
            ])
        }
        return table
    }

    /// `keys list`: where each key stands in its rotation, times relative to now.
    public static func keys(_ keys: [SigningKeyResource], now: Timestamp) -> Table {
        var table = Table(["KID", "ALG", "STATE", "CREATED", "PUBLISHED", "SIGNING SINCE", "RETIRES"])
        for key in keys {
            table.add([
                .init(key.kid), .init(key.alg.rawValue), keyState(key.state),
                .init(RelativeTime.describe(key.createdAt, now: now), .dim),
                .init(RelativeTime.describe(key.publishedAt, now: now)),
                .init(RelativeTime.describe(key.signingSince, now: now)),
                .init(key.retiresAt.map { RelativeTime.describe($0, now: now) } ?? "-", .dim),
            ])
        }
        return table
    }

    static func keyState(_ state: KeySchedule.State) -> Table.Cell {
        switch state {
        case .active: return .init("active", .good)
        case .next: return .init("next", .warning)
        case .retiring: return .init("retiring", .dim)
        case .retired: return .init("retired", .dim)
        }
    }

    public static func revocations(_ list: RevocationList, now: Timestamp) -> Table {
        var table = Table(["ID", "EVENT", "SESSION", "ISSUER", "TOKEN", "STATUS", "ATTEMPTS", "WHEN", "LAST", "ERROR"])
        for revocation in list.revocations {
            let status: Table.Cell
            let when: String
            switch revocation.status {
            case .revoked:
                status = .init("revoked", .good)
                when = "revoked " + RelativeTime.describe(revocation.finishedAt, now: now)
            case .failed:
                status = .init("failed", .bad)
                when = "failed " + RelativeTime.describe(revocation.finishedAt, now: now)
            case .retrying:
                status = .init("retrying", .warning)
                when = "next " + RelativeTime.describe(revocation.nextAttemptAt, now: now)
            case .pending:
                status = .init("pending")
                when = "next " + RelativeTime.describe(revocation.nextAttemptAt, now: now)
            }
            table.add([
                .init(String(revocation.id)), .init(String(revocation.eventID)), .init(String(revocation.sessionID)),
                .init(revocation.issuer), .init(revocation.tokenTypeHint.rawValue), status,
                .init(String(revocation.attempts)), .init(when, .dim),
                .init(revocation.lastStatusCode.map(String.init) ?? "-"),
                .init(revocation.reason ?? revocation.lastError ?? ""),
            ])
        }
        return table
    }

    static func status(_ delivery: DeliveryResource) -> Table.Cell {
        if delivery.inFlightSince != nil { return .init("in flight", .warning) }
        switch delivery.status {
        case .delivered: return .init("delivered", .good)
        case .failed: return .init("failed", .bad)
        case .retrying: return .init("retrying", .warning)
        case .pending: return .init("pending")
        case .skipped: return .init("skipped", .dim)
        }
    }

    static func breaker(_ state: CircuitBreaker.State) -> Table.Cell {
        switch state {
        case .closed: return .init("closed", .good)
        case .open: return .init("open", .bad)
        case .probing: return .init("probing", .warning)
        }
    }

    static func outcome(_ outcome: EventRecord.Outcome) -> Table.Cell {
        switch outcome {
        case .accepted: return .init("accepted", .good)
        case .duplicate: return .init("duplicate", .dim)
        case .rejected: return .init("rejected", .bad)
        case .deferred: return .init("deferred", .warning)
        }
    }
}
