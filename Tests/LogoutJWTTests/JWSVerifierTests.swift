import Crypto
import Foundation
import LogoutCore
import LogoutJWT
import TestSupport
import Testing
import _CryptoExtras

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct JWSVerifierTests {
    static func verify(_ token: String, keys: JWKSet) throws -> JWSVerifier.Outcome {
        let jws = try CompactJWS.parse(token)
        let alg = JWSAlgorithm(rawValue: jws.header["alg"]?.stringValue ?? "")!
        return JWSVerifier.verify(
            jws,
            header: CheckedHeader(algorithm: alg, keyID: jws.header["kid"]?.stringValue),
            keys: keys
        )
    }

    @Test func verifiesEveryAsymmetricAlgorithm() throws {
        let keys: [TokenForge.Key] = [
            TokenForge.newES256(), try TokenForge.newRS256(), TokenForge.newEdDSA(),
            .ps256(try _RSA.Signing.PrivateKey(keySize: .bits2048), kid: "ps-1"),
        ]
        let set = try JWKSet.parse(TokenForge.jwks(keys))
        #expect(set.keys.count == 4)
        for key in keys {
            let token = try TokenForge.logoutToken(issuer: "i", audience: "a", key: key)
            #expect(try Self.verify(token, keys: set) == .valid, "\(TokenForge.algorithm(of: key))")
        }
    }

    @Test func aTamperedPayloadFails() throws {
        let key = TokenForge.newES256()
        let token = try TokenForge.logoutToken(issuer: "i", audience: "a", key: key)
        let parts = token.split(separator: ".").map(String.init)
        let forged = parts[0] + "." + TokenForge.segment(#"{"iss":"i","sub":"admin"}"#) + "." + parts[2]
        #expect(try Self.verify(forged, keys: JWKSet.parse(TokenForge.jwks([key]))) == .invalidSignature)
    }

    @Test func anUnknownKidNeverFallsBackToAnotherKey() throws {
        let known = TokenForge.newES256(kid: "known")
        let other = TokenForge.newES256(kid: "rotated")
        let token = try TokenForge.logoutToken(issuer: "i", audience: "a", key: other)
        #expect(try Self.verify(token, keys: JWKSet.parse(TokenForge.jwks([known]))) == .unknownKeyID("rotated"))
    }

    @Test func aHeaderAlgDifferentFromTheKeysAlgFails() throws {
        // An ES256 key published with alg ES256 cannot verify a token that claims ES384.
        let key = TokenForge.newES256()
        let set = try JWKSet.parse(TokenForge.jwks([key]))
        let token = try TokenForge.logoutToken(issuer: "i", audience: "a", header: ["alg": "ES384"], key: key)
        let jws = try CompactJWS.parse(token)
        #expect(
            JWSVerifier.verify(jws, header: CheckedHeader(algorithm: .es384, keyID: "es-1"), keys: set) == .noUsableKey
        )
    }

    @Test func ecdsaSignaturesMustBeRawAndExact() throws {
        let key = P256.Signing.PrivateKey()
        let set = try JWKSet.parse(TokenForge.jwks([.es256(key, kid: "k")]))
        let input = TokenForge.segment(#"{"alg":"ES256","kid":"k"}"#) + "." + TokenForge.segment(#"{"a":1}"#)
        let der = try key.signature(for: SHA256.hash(data: Array(input.utf8))).derRepresentation
        let zero = [UInt8](repeating: 0, count: 64)
        for signature in [Array(der), zero] {
            let jws = try CompactJWS.parse(input + "." + Base64URL.encode(signature))
            #expect(
                JWSVerifier.verify(jws, header: CheckedHeader(algorithm: .es256, keyID: "k"), keys: set)
                    == .invalidSignature
            )
        }
    }

    @Test func hmacVerification() throws {
        let secret = Array("0123456789abcdef0123456789abcdef".utf8)
        let token = try TokenForge.logoutToken(issuer: "i", audience: "a", key: .hs256(secret))
        let jws = try CompactJWS.parse(token)
        let header = CheckedHeader(algorithm: .hs256, keyID: nil)
        #expect(JWSVerifier.verify(jws, header: header, sharedSecret: secret) == .valid)
        #expect(
            JWSVerifier.verify(jws, header: header, sharedSecret: Array("another-secret-of-32-bytes-length!".utf8))
                == .invalidSignature
        )
    }
}

@Suite struct JWKSetTests {
    @Test func judgesEachKeyAlone() throws {
        let good = try TokenForge.publicJWK(TokenForge.newES256(kid: "good"))
        let document: JSONValue = [
            "keys": [
                good,
                ["kty": "oct", "k": "c2VjcmV0", "kid": "symmetric"],
                ["kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"],
                ["kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA"],
                ["kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA", "alg": "ES256"],
                .object(
                    (try TokenForge.publicJWK(TokenForge.newES256(kid: "mismatch"))).objectValue!.merging([
                        "alg": "RS256"
                    ]) {
                        $1
                    }
                ),
            ]
        ]
        let set = try JWKSet.parse(document)
        #expect(set.keys.map(\.keyID) == ["good"])
        #expect(set.skipped.count == 5)
    }

    @Test func refusesSmallRSAKeys() throws {
        let small = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024))
        let jwk = try TokenForge.publicJWK(.rs256(small, kid: "small"))
        let set = try JWKSet.parse(["keys": [jwk]])
        #expect(set.keys.isEmpty)
    }

    @Test func refusesTooManyKeys() throws {
        let jwk = try TokenForge.publicJWK(TokenForge.newES256())
        #expect(throws: JWKSet.Failure.self) {
            try JWKSet.parse(["keys": .array(Array(repeating: jwk, count: 33))])
        }
    }

    @Test func keyWithoutAlgIsBoundToItsTypeOnly() throws {
        let key = try TokenForge.newRS256(kid: "r")
        let set = try JWKSet.parse(["keys": [try TokenForge.publicJWK(key, includeAlg: false)]])
        #expect(set.keys.first?.algorithms.contains(.rs256) == true)
        #expect(set.keys.first?.algorithms.contains(.es256) == false)
        #expect(set.keys.first?.algorithms.contains(.hs256) == false)
    }
}

@Suite struct SigningTests {
    @Test func mintedTokensVerifyWithOurPublishedKeysAndCarryC5Claims() throws {
        let directory = TemporaryDirectory()
        let keyring = SigningKeyring(files: try SigningKeyStore.open(directory: directory.path))
        let minter = LogoutTokenMinter(keys: keyring)
        let now = Timestamp(Date())
        let published = try JWKSet.parse([
            "keys": .array(keyring.publishedJWKS(now: now).map { .object($0.mapValues(JSONValue.string)) })
        ])
        for algorithm in [SigningAlgorithm.es256, .rs256, .edDSA] {
            let minted = try minter.mint(
                OutboundLogoutClaims(
                    issuer: "https://logoutd",
                    audience: "rp",
                    subject: "s",
                    sessionID: "sid",
                    transaction: "7"
                ),
                algorithm: algorithm,
                now: now
            )
            let jws = try CompactJWS.parse(minted.token)
            #expect(jws.header["typ"] == "logout+jwt")
            let header = CheckedHeader(
                algorithm: JWSAlgorithm(rawValue: algorithm.rawValue)!,
                keyID: jws.header["kid"]?.stringValue
            )
            #expect(JWSVerifier.verify(jws, header: header, keys: published) == .valid)
            #expect(Set(jws.payload.keys) == ["iss", "aud", "iat", "exp", "jti", "events", "sub", "sid", "txn"])
            #expect(jws.payload["jti"] == .string(minted.jti))
            #expect(jws.payload["events"] == .object([TokenForge.event: [:]]))
            let iat = jws.payload["iat"]!.numberValue!
            #expect(jws.payload["exp"]!.numberValue! - iat == 120)
            expectCanonicalSegments(minted.token, jws)
        }
    }

    /// Header and claims are written member by member: each segment must be exactly the sorted,
    /// compact serialization of what it parses to (no member missing, repeated or out of order).
    private func expectCanonicalSegments(_ token: String, _ jws: CompactJWS) {
        let segments = token.split(separator: ".")
        #expect(Base64URL.decode(segments[0]) == JSONSerializer.serialize(.object(jws.header)))
        #expect(Base64URL.decode(segments[1]) == JSONSerializer.serialize(.object(jws.payload)))
    }

    @Test func hs256HasNoKidAndEachMintHasAFreshJTI() throws {
        let minter = LogoutTokenMinter(
            keys: SigningKeyring(files: try SigningKeyStore.open(directory: TemporaryDirectory().path))
        )
        let secret = Array("rp-client-secret-rp-client-secret".utf8)
        let claims = OutboundLogoutClaims(issuer: "i", audience: "rp", subject: "s", sessionID: nil, transaction: "1")
        let first = try minter.mint(claims, algorithm: .hs256, hmacSecret: secret, now: Timestamp(Date()))
        let second = try minter.mint(claims, algorithm: .hs256, hmacSecret: secret, now: Timestamp(Date()))
        #expect(first.jti != second.jti)
        let jws = try CompactJWS.parse(first.token)
        #expect(jws.header["kid"] == nil && jws.payload["sid"] == nil)
        expectCanonicalSegments(first.token, jws)
        #expect(
            JWSVerifier.verify(jws, header: CheckedHeader(algorithm: .hs256, keyID: nil), sharedSecret: secret)
                == .valid
        )
        #expect(throws: LogoutTokenMinter.Failure.self) {
            try minter.mint(claims, algorithm: .hs256, hmacSecret: Array("short".utf8), now: Timestamp(Date()))
        }
    }

    @Test func keysSurviveARestartWith0600Files() throws {
        let directory = TemporaryDirectory()
        let first = try SigningKeyStore.open(directory: directory.path)
        let second = try SigningKeyStore.open(directory: directory.path)
        #expect(first.keys.map(\.key.keyID).sorted() == second.keys.map(\.key.keyID).sorted())
        #expect(first.keys.count == 3)
        for stored in first.keys {
            let attributes = try FileManager.default.attributesOfItem(atPath: directory.file(stored.fileName))
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        }
    }

    @Test func secretBoxRoundTripsAndDetectsAnotherKey() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("secrets.key")
        let field = SealedField.issuerSharedSecret("app")
        let box = try SecretBox.open(path: path)
        let sealed = try box.seal(Array("s3cret".utf8), for: field)
        #expect(!sealed.isEmpty && sealed != Array("s3cret".utf8))
        #expect(try SecretBox.open(path: path).open(sealed, for: field) == Array("s3cret".utf8))
        let other = TemporaryDirectory()
        #expect(throws: SecretBox.Failure.self) {
            try SecretBox.open(path: other.file("other.key")).open(sealed, for: field)
        }
    }

    /// SEC-6: a sealed value is bound to its row and column; moved elsewhere it does not open.
    @Test func sealedValuesOpenOnlyInTheirOwnRowAndColumn() throws {
        let directory = TemporaryDirectory()
        let box = try SecretBox.open(path: directory.file("secrets.key"))
        let sealed = try box.seal(Array("client-secret".utf8), for: .relyingPartyClientSecret("shop"))
        #expect(throws: SecretBox.Failure.self) { try box.open(sealed, for: .relyingPartyClientSecret("bank")) }
        #expect(throws: SecretBox.Failure.self) { try box.open(sealed, for: .issuerSharedSecret("shop")) }
        #expect(throws: SecretBox.Failure.self) { try box.openUnbound(sealed) }
        #expect(try box.open(sealed, for: .relyingPartyClientSecret("shop")) == Array("client-secret".utf8))
    }

    /// SEC-6: secret files readable by group or others are refused, naming the fix.
    @Test func secretFilesReadableByOthersAreRefused() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("secrets.key")
        _ = try SecretBox.open(path: path)
        #expect(chmod(path, 0o640) == 0)
        do {
            _ = try SecretBox.open(path: path)
            Issue.record("a group-readable secrets key was accepted")
        } catch let failure as SecretBox.Failure {
            #expect(failure.description.contains("chmod 600 \(path)"))
            #expect(failure.description.contains("640"))
        }
        #expect(chmod(path, 0o600) == 0)
        _ = try SecretBox.open(path: path)

        let keys = TemporaryDirectory()
        let store = try SigningKeyStore.open(directory: keys.path)
        let keyFile = keys.file(try #require(store.keys.first).fileName)
        #expect(chmod(keyFile, 0o644) == 0)
        #expect(throws: SecretBox.Failure.self) { try SigningKeyStore.open(directory: keys.path) }
    }
}
