import LogoutCore
import LogoutJWT

/// One signature check with the keys of a registered issuer, for every token we verify: logout
/// tokens (IN-4) and `id_token_hint`s (BR-2). An unknown `kid` refreshes the issuer's keys once,
/// inside the cool-down it asks the caller to come back instead.
struct SignatureChecker: Sendable {
    let keyCache: IssuerKeyCache

    enum Outcome {
        case valid
        /// `503`: `deferral` when an unknown `kid` met the refresh cool-down (a key rotation in
        /// progress), otherwise the keys cannot be fetched at all.
        case retryLater(String, retryAfter: Duration, deferral: Bool)
    }

    func verify(
        _ jws: CompactJWS,
        header: CheckedHeader,
        entry: IssuerDirectory.Entry
    ) async throws(TokenRejection) -> Outcome {
        var outcome: JWSVerifier.Outcome
        switch entry.trust {
        case .sharedSecret(let secret):
            outcome = JWSVerifier.verify(jws, header: header, sharedSecret: secret)
        case .inline(let keys):
            outcome = JWSVerifier.verify(jws, header: header, keys: keys)
        case .jwksURI(let uri):
            do {
                outcome = JWSVerifier.verify(jws, header: header, keys: try await keyCache.keys(for: uri))
            } catch let unavailable as IssuerKeyCache.Unavailable {
                return .retryLater(unavailable.description, retryAfter: unavailable.retryAfter, deferral: false)
            } catch {
                return .retryLater(String(describing: error), retryAfter: .seconds(5), deferral: false)
            }
            if case .unknownKeyID = outcome {
                switch await keyCache.afterUnknownKeyID(uri) {
                case .refreshed(let keys):
                    outcome = JWSVerifier.verify(jws, header: header, keys: keys)
                    if case .unknownKeyID = outcome {
                        throw TokenRejection(
                            "IN-4",
                            "kid is not one of the issuer's keys, even after fetching them again"
                        )
                    }
                case .retryLater(let wait):
                    return .retryLater(
                        "kid is not one of the issuer's keys fetched moments ago",
                        retryAfter: wait,
                        deferral: true
                    )
                }
            }
        }
        switch outcome {
        case .valid: return .valid
        case .invalidSignature: throw TokenRejection("IN-4", "the signature does not verify")
        case .unknownKeyID: throw TokenRejection("IN-4", "kid is not one of the issuer's keys")
        case .noUsableKey: throw TokenRejection("IN-4", "the issuer has no key for alg \(header.algorithm.rawValue)")
        }
    }
}
