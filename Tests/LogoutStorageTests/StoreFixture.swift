import Foundation
import Logging
import LogoutCore
import LogoutPostgres
import LogoutStorage
import TestSupport
import Testing

/// A fresh store of a `StoreKind`, each test on a database of its own, with the issuer `idp` (iss `https://idp`) and values to fill it with.
struct StoreFixture: Sendable {
    static let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)

    let folder: TemporaryDirectory
    let store: any LogoutStore
    var now: Timestamp { Self.now }

    static func make(_ kind: StoreKind, expandsPlansInBackground: Bool = true) async throws -> StoreFixture {
        let folder = TemporaryDirectory()
        let store: any LogoutStore
        switch kind {
        case .sqlite:
            store = try LogoutDatabase(
                path: folder.file("db.sqlite3"),
                busyTimeout: .milliseconds(200),
                expandsPlansInBackground: expandsPlansInBackground
            )
        case .postgres: store = try await openPostgres(url: try await TestPostgres.freshDatabase())
        }
        try await store.insertIssuer(issuer("idp", iss: "https://idp"))
        return StoreFixture(folder: folder, store: store)
    }

    /// The values of a fixture around a store opened elsewhere (a replica of a shared store).
    static func around(_ store: any LogoutStore) -> StoreFixture {
        StoreFixture(folder: TemporaryDirectory(), store: store)
    }

    /// A store on the database at `url`, as one replica named `owner`.
    static func openPostgres(url: String, owner: String = "test") async throws -> PostgresStore {
        try await PostgresStore.open(
            try PostgresLocation(url: url),
            password: nil,
            owner: owner,
            perRPLeaseCap: 1_000,
            operationTimeout: .seconds(30),
            logger: Logger(label: "test")
        )
    }

    private init(folder: TemporaryDirectory, store: any LogoutStore) {
        self.folder = folder
        self.store = store
    }

    static func issuer(
        _ name: String,
        iss: String,
        source: Issuer.KeySource = .jwksURI("https://x/jwks")
    )
        -> StoredIssuer
    {
        StoredIssuer(
            issuer: Issuer(
                name: name,
                issuer: iss,
                audience: "logoutd",
                keySource: source,
                algorithms: source == .sharedSecret ? [.hs256] : [.es256],
                createdAt: now
            ),
            sealedSharedSecret: source == .sharedSecret ? [1, 2, 3] : nil
        )
    }

    func rp(_ id: String, subjects: RelyingParty.Subjects = .registered, issuers: [String] = []) -> StoredRelyingParty {
        StoredRelyingParty(
            relyingParty: RelyingParty(
                clientID: id,
                backchannelLogoutURI: "http://127.0.0.1:1/\(id)",
                subjects: subjects,
                issuers: issuers,
                createdAt: now,
                updatedAt: now
            )
        )
    }

    func logout(sub: String? = "u", sid: String? = nil, jti: String? = "j", hash: String = "h") -> AcceptedLogout {
        AcceptedLogout(
            request: LogoutRequest(source: "idp", issuerName: "idp", sub: sub, sid: sid),
            iss: "https://idp",
            jti: jti,
            replay: jti.map { ReplayKey(issuerName: "idp", key: $0, tokenHash: hash, expiresAt: now + .seconds(720)) },
            tokenHash: hash,
            clientAddress: "127.0.0.1"
        )
    }

    func session(_ rp: String, sub: String = "u", sid: String? = nil) -> NewSession {
        NewSession(
            issuerName: "idp",
            sub: sub,
            sid: sid,
            clientID: rp,
            rpSub: "rp-" + sub,
            rpSid: sid.map { "rp-" + $0 },
            expiresAt: nil
        )
    }

    func claim(
        limit: Int = 100,
        available: [String: Int] = [:],
        defaultAvailable: Int = 100,
        lease: Duration = .seconds(40)
    ) -> ClaimRequest {
        ClaimRequest(limit: limit, available: available, defaultAvailable: defaultAvailable, rotation: 0, lease: lease)
    }

    /// One logout's delivery to RP `a`, claimed: where a test of what an outcome stores starts.
    func claimedDelivery() async throws -> ClaimedDelivery {
        try await store.insertRelyingParty(rp("a"))
        _ = try await store.insertSession(session("a"), now: now)
        _ = try await store.recordLogout(logout(), now: now)
        return try #require(try await store.claimDue(claim(), now: now).first)
    }

    /// What an attempt answered with 503 at `finishedAt` changes, without jitter.
    func unavailable(attemptsBefore: Int = 0, finishedAt: Timestamp) -> DeliveryTransition {
        var generator = SystemRandomNumberGenerator()
        return DeliveryTransition.afterAttempt(
            .response(HTTPAnswer(status: 503)),
            attemptsBefore: attemptsBefore,
            createdAt: now,
            finishedAt: finishedAt,
            policy: RetryPolicy(jitter: 0),
            using: &generator
        )
    }

    func rejection(_ index: Int = 0) -> RejectedLogout {
        RejectedLogout(
            source: "unknown",
            iss: String(repeating: "i", count: 20_000),
            sub: "sub\(index)\u{0}",
            sid: nil,
            jti: String(repeating: "j", count: 5_000),
            tokenHash: "0123456789abcdef",
            reason: "IN-3: " + String(repeating: "r", count: 20_000),
            clientAddress: "192.0.2.7"
        )
    }
}
