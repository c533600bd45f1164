import Logging
import LogoutAdminAPI
import LogoutCore
import LogoutJWT
import NIOPosix

/// `keys list` and `keys rotate` (OUT-4): the keyring decides from the clock, the store keeps
/// the schedule across restarts.
struct KeyAdmin: Sendable {
    let context: AdminContext
    var keys: SigningKeyring { context.keys }

    static let rotatable: [SigningAlgorithm] = [.es256, .rs256, .edDSA]

    func list() -> SigningKeyList {
        SigningKeyList(keys: keys.entries(now: context.now()).map(Self.resource))
    }

    func rotate(_ request: KeyRotationRequest) async throws -> KeyRotation {
        let now = context.now()
        let immediately = request.now ?? false
        if request.alg == .hs256 {
            throw AdminError.invalid(
                "alg: HS256 tokens are signed with each RP's client secret; there is no key to rotate"
            )
        }
        let algorithms = request.alg.map { [$0] } ?? Self.rotatable
        let entries = keys.entries(now: now)
        let pending = Dictionary(
            entries.filter { $0.status.state == .next }.map { ($0.stored.key.algorithm, $0) }
        ) { first, _ in first }
        // All or nothing: a refusal changes no algorithm.
        if !immediately, let waiting = algorithms.compactMap({ pending[$0] }).first {
            throw AdminError(
                .conflict,
                "conflict",
                "a rotation is pending: \(waiting.stored.key.algorithm.rawValue) key \(waiting.stored.key.keyID) signs from "
                    + "\(waiting.status.key.signsFrom.rfc3339); `keys rotate --now` switches to it at once"
            )
        }
        var changed: [String] = []
        for algorithm in algorithms {
            if let waiting = pending[algorithm] {
                // Already published for a while: the best key to switch to in an emergency.
                let keyID = waiting.stored.key.keyID
                try await context.storage { try await context.store.setSignsFrom(keyID: keyID, to: now) }
                keys.setSignsFrom(keyID: keyID, to: now)
                changed.append(keyID)
                continue
            }
            // RSA key generation takes a while: off the concurrency pool, which serves deliveries.
            let key = try await NIOThreadPool.singleton.runIfActive { try SigningKey.generate(algorithm) }
            let signsFrom = immediately ? now : now + keys.schedule.overlap
            let (stored, scheduled) = try keys.add(key, signsFrom: signsFrom, now: now)
            try await context.storage {
                try await context.store.recordSigningKeys([
                    SigningKeyRecord(
                        keyID: key.keyID,
                        algorithm: algorithm.rawValue,
                        file: stored.fileName,
                        createdAt: stored.createdAt,
                        publishedAt: scheduled.publishedAt,
                        signsFrom: scheduled.signsFrom
                    )
                ])
            }
            changed.append(key.keyID)
        }
        let removed = try keys.removeRetired(now: now)
        let rotated = keys.entries(now: now).filter { changed.contains($0.stored.key.keyID) }
        for entry in rotated {
            context.logger.notice(
                "signing key rotated",
                metadata: [
                    "kid": "\(entry.stored.key.keyID)", "alg": "\(entry.stored.key.algorithm.rawValue)",
                    "signs_from": "\(entry.status.key.signsFrom.rfc3339)", "immediately": "\(immediately)",
                ]
            )
        }
        if !removed.isEmpty {
            context.logger.notice(
                "retired signing keys removed",
                metadata: ["kids": "\(removed.joined(separator: ","))"]
            )
        }
        var warning: String?
        if immediately {
            warning =
                "the new keys sign now: an RP that cached our JWKS meets an unknown kid until it fetches "
                + "\(context.ourIssuer)/.well-known/jwks.json again"
            context.logger.warning(
                "signing keys switched without overlap",
                metadata: ["kids": "\(changed.joined(separator: ","))"]
            )
        }
        return KeyRotation(keys: rotated.map(Self.resource), warning: warning)
    }

    static func resource(_ entry: SigningKeyring.Entry) -> SigningKeyResource {
        SigningKeyResource(
            kid: entry.stored.key.keyID,
            alg: entry.stored.key.algorithm,
            state: entry.status.state,
            createdAt: entry.stored.createdAt,
            publishedAt: entry.status.key.publishedAt,
            signingSince: entry.status.key.signsFrom,
            retiresAt: entry.status.retiresAt,
            source: entry.stored.isCredential ? "credentials" : "keys.dir"
        )
    }
}
