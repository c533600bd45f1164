import Foundation
import GRDB
import LogoutCore

/// The `issuers` table's record: a `StoredIssuer` in and out of a row.
struct IssuerRow: FetchableRecord, PersistableRecord {
    static let databaseTableName = "issuers"
    var value: StoredIssuer

    init(_ value: StoredIssuer) {
        self.value = value
    }

    init(row: Row) throws {
        let keySource: Issuer.KeySource
        switch row["key_source"] as String {
        case "jwks_uri": keySource = .jwksURI(row["jwks_uri"])
        case "jwks": keySource = .jwks(row["jwks"])
        default: keySource = .sharedSecret
        }
        let algorithms = StringList.decode(row["algorithms"]).compactMap(JWSAlgorithm.init(rawValue:))
        let sealedClientSecret = (row["client_secret"] as Data?).map { [UInt8]($0) }
        let issuer = Issuer(
            name: row["name"],
            issuer: row["issuer"],
            audience: row["audience"],
            keySource: keySource,
            algorithms: algorithms,
            typPolicy: TypPolicy(rawValue: row["typ_policy"]) ?? .default,
            requireExp: row["require_exp"],
            endSessionEndpoint: row["end_session_endpoint"],
            revocationEndpoint: row["revocation_endpoint"],
            clientID: row["client_id"],
            hasClientSecret: sealedClientSecret != nil,
            frontchannelIntake: row["frontchannel_intake"],
            createdAt: Timestamp(column: row["created_at"])
        )
        value = StoredIssuer(
            issuer: issuer,
            sealedSharedSecret: (row["shared_secret"] as Data?).map { [UInt8]($0) },
            sealedClientSecret: sealedClientSecret
        )
    }

    func encode(to container: inout PersistenceContainer) throws {
        let (issuer, sealedSharedSecret, sealedClientSecret) = (
            value.issuer, value.sealedSharedSecret, value.sealedClientSecret
        )
        container["name"] = issuer.name
        container["issuer"] = issuer.issuer
        container["audience"] = issuer.audience
        switch issuer.keySource {
        case .jwksURI(let uri):
            container["key_source"] = "jwks_uri"
            container["jwks_uri"] = uri
        case .jwks(let jwks):
            container["key_source"] = "jwks"
            container["jwks"] = jwks
        case .sharedSecret:
            container["key_source"] = "shared_secret"
        }
        container["shared_secret"] = sealedSharedSecret.map { Data($0) }
        container["algorithms"] = StringList.encode(issuer.algorithms.map(\.rawValue))
        container["typ_policy"] = issuer.typPolicy.rawValue
        container["require_exp"] = issuer.requireExp
        container["end_session_endpoint"] = issuer.endSessionEndpoint
        container["revocation_endpoint"] = issuer.revocationEndpoint
        container["client_id"] = issuer.clientID
        container["client_secret"] = sealedClientSecret.map { Data($0) }
        container["frontchannel_intake"] = issuer.frontchannelIntake
        container["created_at"] = issuer.createdAt.column
    }
}

/// The `relying_parties` table's record: a `StoredRelyingParty` in and out of a row.
struct RelyingPartyRow: FetchableRecord, PersistableRecord {
    static let databaseTableName = "relying_parties"
    var value: StoredRelyingParty

    init(_ value: StoredRelyingParty) {
        self.value = value
    }

    /// The columns `init(row:)` reads, in this order, which is also the table's: every query
    /// for this record names them (`selection`). Rows are read by position because they are read
    /// on the hot paths (a claim the enabled RPs, a logout its followers, each whenever the
    /// registry changed), where GRDB's lookup by name lowercased each name for each row.
    static let columns = [
        "client_id", "backchannel_logout_uri", "session_required", "signing_alg", "client_secret", "token_issuer",
        "subjects", "issuers", "enabled", "allow_http", "post_logout_redirect_uris", "frontchannel_logout_uri",
        "frontchannel_logout_session_required", "created_at", "updated_at",
    ]

    /// `columns` for a `SELECT`, each prefixed by `alias` (`"r."`) when one is given.
    static func selection(_ alias: String = "") -> String {
        columns.map { alias + $0 }.joined(separator: ", ")
    }

    /// Made once: a statement is looked up in the cache by its text, on every logout.
    static let selectOne = "SELECT \(selection()) FROM relying_parties WHERE client_id = ?"
    static let selectFollowers = "SELECT \(selection()) FROM relying_parties WHERE subjects = 'all'"
    static let selectEnabled = "SELECT \(selection()) FROM relying_parties WHERE enabled = 1 ORDER BY client_id"

    init(row: Row) throws {
        let secret = (row[4] as Data?).map { [UInt8]($0) }
        let relyingParty = RelyingParty(
            clientID: row[0],
            backchannelLogoutURI: row[1],
            sessionRequired: row[2],
            signingAlgorithm: SigningAlgorithm(rawValue: row[3]) ?? .es256,
            hasClientSecret: secret != nil,
            tokenIssuer: row[5],
            subjects: RelyingParty.Subjects(rawValue: row[6]) ?? .registered,
            issuers: StringList.decode(row[7]),
            enabled: row[8],
            allowHTTP: row[9],
            postLogoutRedirectURIs: StringList.decode(row[10]),
            frontchannelLogoutURI: row[11],
            frontchannelLogoutSessionRequired: row[12],
            createdAt: Timestamp(column: row[13]),
            updatedAt: Timestamp(column: row[14])
        )
        value = StoredRelyingParty(
            relyingParty: relyingParty,
            sealedClientSecret: secret,
            // The breaker's columns follow the RP's in `CircuitBreaker.selectRelyingParties`.
            breaker: row.count > Self.columns.count ? CircuitBreaker(joined: row) : CircuitBreaker()
        )
    }

    func encode(to container: inout PersistenceContainer) throws {
        let (rp, sealedClientSecret) = (value.relyingParty, value.sealedClientSecret)
        container["client_id"] = rp.clientID
        container["backchannel_logout_uri"] = rp.backchannelLogoutURI
        container["session_required"] = rp.sessionRequired
        container["signing_alg"] = rp.signingAlgorithm.rawValue
        container["client_secret"] = sealedClientSecret.map { Data($0) }
        container["token_issuer"] = rp.tokenIssuer
        container["subjects"] = rp.subjects.rawValue
        container["issuers"] = StringList.encode(rp.issuers)
        container["enabled"] = rp.enabled
        container["allow_http"] = rp.allowHTTP
        container["post_logout_redirect_uris"] = StringList.encode(rp.postLogoutRedirectURIs)
        container["frontchannel_logout_uri"] = rp.frontchannelLogoutURI
        container["frontchannel_logout_session_required"] = rp.frontchannelLogoutSessionRequired
        container["created_at"] = rp.createdAt.column
        container["updated_at"] = rp.updatedAt.column
    }
}
