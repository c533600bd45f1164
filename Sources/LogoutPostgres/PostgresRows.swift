import Foundation
import LogoutCore
import PostgresNIO

/// Registry and log records read from their rows, and written as bound values.
enum PostgresRows {
    static func issuer(_ row: PostgresRandomAccessRow) throws -> StoredIssuer {
        let keySource: Issuer.KeySource
        switch try row.get("key_source", as: String.self) {
        case "jwks_uri": keySource = .jwksURI(try row.get("jwks_uri"))
        case "jwks": keySource = .jwks(try row.get("jwks"))
        default: keySource = .sharedSecret
        }
        let sealedClientSecret = try row.bytes("client_secret")
        let issuer = Issuer(
            name: try row.get("name"),
            issuer: try row.get("issuer"),
            audience: try row.get("audience"),
            keySource: keySource,
            algorithms: stringList(try row.get("algorithms")).compactMap(JWSAlgorithm.init(rawValue:)),
            typPolicy: TypPolicy(rawValue: try row.get("typ_policy")) ?? .default,
            requireExp: try row.get("require_exp"),
            endSessionEndpoint: try row.get("end_session_endpoint"),
            revocationEndpoint: try row.get("revocation_endpoint"),
            clientID: try row.get("client_id"),
            hasClientSecret: sealedClientSecret != nil,
            frontchannelIntake: try row.get("frontchannel_intake"),
            createdAt: try row.time("created_at")
        )
        return StoredIssuer(
            issuer: issuer,
            sealedSharedSecret: try row.bytes("shared_secret"),
            sealedClientSecret: sealedClientSecret
        )
    }

    /// `INSERT` (or, with `update`, `UPDATE … WHERE name`) of an issuer's row.
    static func write(_ stored: StoredIssuer, update: Bool) -> PostgresQuery {
        let issuer = stored.issuer
        var (source, uri, jwks): (String, String?, String?) = ("shared_secret", nil, nil)
        switch issuer.keySource {
        case .jwksURI(let value): (source, uri) = ("jwks_uri", value)
        case .jwks(let value): (source, jwks) = ("jwks", value)
        case .sharedSecret: break
        }
        let algorithms = stringList(issuer.algorithms.map(\.rawValue))
        let shared = stored.sealedSharedSecret.map { ByteBuffer(bytes: $0) }
        let client = stored.sealedClientSecret.map { ByteBuffer(bytes: $0) }
        if update {
            return """
                UPDATE issuers SET issuer = \(issuer.issuer), audience = \(issuer.audience), key_source = \(source),
                    jwks_uri = \(uri), jwks = \(jwks), shared_secret = \(shared), algorithms = \(algorithms),
                    typ_policy = \(issuer.typPolicy.rawValue), require_exp = \(issuer.requireExp),
                    end_session_endpoint = \(issuer.endSessionEndpoint), revocation_endpoint = \(issuer.revocationEndpoint),
                    client_id = \(issuer.clientID), client_secret = \(client),
                    frontchannel_intake = \(issuer.frontchannelIntake), created_at = \(issuer.createdAt.millisecondsSince1970)
                WHERE name = \(issuer.name) RETURNING 1
                """
        }
        return """
            INSERT INTO issuers (name, issuer, audience, key_source, jwks_uri, jwks, shared_secret, algorithms, typ_policy,
                require_exp, end_session_endpoint, revocation_endpoint, client_id, client_secret, frontchannel_intake,
                created_at)
            VALUES (\(issuer.name), \(issuer.issuer), \(issuer.audience), \(source), \(uri), \(jwks), \(shared), \(algorithms),
                \(issuer.typPolicy.rawValue), \(issuer.requireExp), \(issuer.endSessionEndpoint), \(issuer.revocationEndpoint),
                \(issuer.clientID), \(client), \(issuer.frontchannelIntake), \(issuer.createdAt.millisecondsSince1970))
            """
    }

    static func relyingParty(_ row: PostgresRandomAccessRow) throws -> StoredRelyingParty {
        let secret = try row.bytes("client_secret")
        let relyingParty = RelyingParty(
            clientID: try row.get("client_id"),
            backchannelLogoutURI: try row.get("backchannel_logout_uri"),
            sessionRequired: try row.get("session_required"),
            signingAlgorithm: SigningAlgorithm(rawValue: try row.get("signing_alg")) ?? .es256,
            hasClientSecret: secret != nil,
            tokenIssuer: try row.get("token_issuer"),
            subjects: RelyingParty.Subjects(rawValue: try row.get("subjects")) ?? .registered,
            issuers: stringList(try row.get("issuers")),
            enabled: try row.get("enabled"),
            allowHTTP: try row.get("allow_http"),
            postLogoutRedirectURIs: stringList(try row.get("post_logout_redirect_uris")),
            frontchannelLogoutURI: try row.get("frontchannel_logout_uri"),
            frontchannelLogoutSessionRequired: try row.get("frontchannel_logout_session_required"),
            createdAt: try row.time("created_at"),
            updatedAt: try row.time("updated_at")
        )
        return StoredRelyingParty(
            relyingParty: relyingParty,
            sealedClientSecret: secret,
            breaker: row.contains("breaker_state") ? try breaker(row) : CircuitBreaker()
        )
    }

    static func write(_ stored: StoredRelyingParty, update: Bool) -> PostgresQuery {
        let rp = stored.relyingParty
        let secret = stored.sealedClientSecret.map { ByteBuffer(bytes: $0) }
        let issuers = stringList(rp.issuers)
        let redirects = stringList(rp.postLogoutRedirectURIs)
        if update {
            return """
                UPDATE relying_parties SET backchannel_logout_uri = \(rp.backchannelLogoutURI),
                    session_required = \(rp.sessionRequired), signing_alg = \(rp.signingAlgorithm.rawValue),
                    client_secret = \(secret), token_issuer = \(rp.tokenIssuer), subjects = \(rp.subjects.rawValue),
                    issuers = \(issuers), enabled = \(rp.enabled), allow_http = \(rp.allowHTTP),
                    post_logout_redirect_uris = \(redirects), frontchannel_logout_uri = \(rp.frontchannelLogoutURI),
                    frontchannel_logout_session_required = \(rp.frontchannelLogoutSessionRequired),
                    created_at = \(rp.createdAt.millisecondsSince1970), updated_at = \(rp.updatedAt.millisecondsSince1970)
                WHERE client_id = \(rp.clientID) RETURNING 1
                """
        }
        return """
            INSERT INTO relying_parties (client_id, backchannel_logout_uri, session_required, signing_alg, client_secret,
                token_issuer, subjects, issuers, enabled, allow_http, post_logout_redirect_uris, frontchannel_logout_uri,
                frontchannel_logout_session_required, created_at, updated_at)
            VALUES (\(rp.clientID), \(rp.backchannelLogoutURI), \(rp.sessionRequired), \(rp.signingAlgorithm.rawValue),
                \(secret), \(rp.tokenIssuer), \(rp.subjects.rawValue), \(issuers), \(rp.enabled), \(rp.allowHTTP),
                \(redirects), \(rp.frontchannelLogoutURI), \(rp.frontchannelLogoutSessionRequired),
                \(rp.createdAt.millisecondsSince1970), \(rp.updatedAt.millisecondsSince1970))
            """
    }

    /// The `breakers` columns joined as `breaker_*`; no row is closed.
    static func breaker(_ row: PostgresRandomAccessRow) throws -> CircuitBreaker {
        var breaker = CircuitBreaker()
        guard let state = try row.get("breaker_state", as: String?.self).flatMap(CircuitBreaker.State.init(rawValue:))
        else { return breaker }
        breaker.state = state
        breaker.consecutiveFailures = Int(try row.get("breaker_failures", as: Int64?.self) ?? 0)
        breaker.since = try row.optionalTime("breaker_since")
        breaker.lastError = try row.get("breaker_last_error")
        breaker.nextProbeAt = try row.optionalTime("breaker_next_probe_at")
        breaker.failedProbes = Int(try row.get("breaker_failed_probes", as: Int64?.self) ?? 0)
        return breaker
    }

    static let breakerColumns = """
        b.state AS breaker_state, b.consecutive_failures AS breaker_failures, b.since AS breaker_since,
        b.last_error AS breaker_last_error, b.next_probe_at AS breaker_next_probe_at,
        b.failed_probes AS breaker_failed_probes
        """

    /// RPs with their breaker.
    static let selectRelyingParties = """
        SELECT r.*, \(breakerColumns) FROM relying_parties r LEFT JOIN breakers b ON b.client_id = r.client_id
        """

    static func saveBreaker(_ breaker: CircuitBreaker, clientID: String) -> PostgresQuery {
        """
        INSERT INTO breakers (client_id, state, consecutive_failures, since, last_error, next_probe_at, failed_probes)
        VALUES (\(clientID), \(breaker.state.rawValue), \(Int64(breaker.consecutiveFailures)),
            \(breaker.since?.millisecondsSince1970), \(breaker.lastError), \(breaker.nextProbeAt?.millisecondsSince1970),
            \(Int64(breaker.failedProbes)))
        ON CONFLICT (client_id) DO UPDATE SET state = excluded.state,
            consecutive_failures = excluded.consecutive_failures, since = excluded.since,
            last_error = excluded.last_error, next_probe_at = excluded.next_probe_at,
            failed_probes = excluded.failed_probes
        """
    }

    /// A push stream's breaker, saved only while its stream exists (an outcome may come back
    /// after the stream was deleted).
    static func saveStreamBreaker(_ breaker: CircuitBreaker, streamID: String) -> PostgresQuery {
        """
        INSERT INTO ssf_breakers (stream_id, state, consecutive_failures, since, last_error, next_probe_at, failed_probes)
        SELECT \(streamID), \(breaker.state.rawValue), \(Int64(breaker.consecutiveFailures)),
            \(breaker.since?.millisecondsSince1970), \(breaker.lastError), \(breaker.nextProbeAt?.millisecondsSince1970),
            \(Int64(breaker.failedProbes))
        WHERE EXISTS (SELECT 1 FROM ssf_streams WHERE id = \(streamID))
        ON CONFLICT (stream_id) DO UPDATE SET state = excluded.state,
            consecutive_failures = excluded.consecutive_failures, since = excluded.since,
            last_error = excluded.last_error, next_probe_at = excluded.next_probe_at,
            failed_probes = excluded.failed_probes
        """
    }

    /// JSON arrays of strings in a TEXT column, as in the embedded store.
    static func stringList(_ values: [String]) -> String {
        let data = (try? JSONEncoder().encode(values)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func stringList(_ text: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }
}
