import Foundation
import LogoutCore
import LogoutJWT
import Synchronization

/// The registered issuers in memory, with their verification material ready to use.
///
/// Every inbound token needs its issuer; reading SQLite and unsealing a secret per request would
/// put I/O on the hot path. Admin changes reload the whole snapshot, which is small.
final class IssuerDirectory: Sendable {
    enum Trust: Sendable {
        case jwksURI(String)
        case inline(JWKSet)
        case sharedSecret([UInt8])
    }

    struct Entry: Sendable {
        let issuer: Issuer
        let policy: IssuerPolicy
        let trust: Trust
    }

    enum Lookup {
        case found(Entry)
        case unknown(String)
    }

    private struct Snapshot {
        var byName: [String: Entry] = [:]
        var byIssuer: [String: [Entry]] = [:]
    }

    private let snapshot = Mutex(Snapshot())
    private let secrets: SecretBox
    private let maximumTokenAge: Duration
    private let clockSkew: Duration

    init(secrets: SecretBox, maximumTokenAge: Duration, clockSkew: Duration) {
        self.secrets = secrets
        self.maximumTokenAge = maximumTokenAge
        self.clockSkew = clockSkew
    }

    func reload(from store: any RegistryStore) async throws {
        var next = Snapshot()
        for stored in try await store.issuers() {
            let issuer = stored.issuer
            let trust: Trust
            switch issuer.keySource {
            case .jwksURI(let uri):
                trust = .jwksURI(uri)
            case .jwks(let text):
                trust = .inline((try? JWKSet.parse(Array(text.utf8))) ?? JWKSet(keys: []))
            case .sharedSecret:
                guard let sealed = stored.sealedSharedSecret else { continue }
                trust = .sharedSecret(try secrets.open(sealed, for: .issuerSharedSecret(issuer.name)))
            }
            let entry = Entry(
                issuer: issuer,
                policy: issuer.policy(maximumTokenAge: maximumTokenAge, clockSkew: clockSkew),
                trust: trust
            )
            next.byName[issuer.name] = entry
            next.byIssuer[issuer.issuer, default: []].append(entry)
        }
        snapshot.withLock { $0 = next }
    }

    func entry(named name: String) -> Entry? {
        snapshot.withLock { $0.byName[name] }
    }

    /// A registered issuer by its name or its `iss` (admin requests accept either).
    func registered(_ nameOrIss: String) -> Issuer? {
        if let named = entry(named: nameOrIss) { return named.issuer }
        if case .found(let byIss) = lookup(pinnedName: nil, unverifiedIssuer: nameOrIss) { return byIss.issuer }
        return nil
    }

    /// The names of the issuers whose keys come from `uri`, for metrics labels.
    func names(usingJWKSURI uri: String) -> [String] {
        snapshot.withLock { snapshot in
            snapshot.byName.values.compactMap { entry in
                if case .jwksURI(let registered) = entry.trust, registered == uri { return entry.issuer.name }
                return nil
            }
        }
    }

    /// Selects the issuer of a token by its unverified `iss` (IN-3): only a lookup key.
    func lookup(pinnedName: String?, unverifiedIssuer: String?) -> Lookup {
        if let pinnedName {
            guard let entry = entry(named: pinnedName) else {
                return .unknown("no issuer is registered under the name \(quoted(pinnedName))")
            }
            return .found(entry)
        }
        guard let iss = unverifiedIssuer else {
            return .unknown("iss is missing, so no registered issuer can be selected")
        }
        let entries = snapshot.withLock { $0.byIssuer[iss] ?? [] }
        switch entries.count {
        case 0:
            return .unknown("iss \(quoted(iss)) is not a registered issuer")
        case 1:
            return .found(entries[0])
        default:
            return .unknown(
                "iss \(quoted(iss)) is registered more than once; post to /backchannel-logout/{name} instead"
            )
        }
    }
}
