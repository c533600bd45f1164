import LogoutCore
import Testing

/// SSF-1: the transmitter configuration metadata (SSF §7.1, CAEP interoperability profile §2.3).
@Suite struct SSFTransmitterMetadataTests {
    static let document = SSFTransmitterMetadata.document(
        issuer: "https://logout.example",
        publicBaseURL: "https://logout.example/"
    )

    @Test(
        arguments: [
            ("SSF §7.1 spec_version 1_0 (interop §2.3.1)", "spec_version", JSONValue.string("1_0")),
            ("SSF §7.1 issuer is our iss", "issuer", "https://logout.example"),
            (
                "SSF §7.1 jwks_uri is our published JWKS (interop §2.3.3)", "jwks_uri",
                "https://logout.example/.well-known/jwks.json"
            ),
            (
                "SSF §7.1 delivery_methods_supported push and poll (interop §2.3.2)", "delivery_methods_supported",
                ["urn:ietf:rfc:8935", "urn:ietf:rfc:8936"]
            ),
            (
                "SSF §7.1 configuration_endpoint (interop §2.3.4)", "configuration_endpoint",
                "https://logout.example/ssf/streams"
            ),
            ("SSF §7.1 status_endpoint (interop §2.3.5)", "status_endpoint", "https://logout.example/ssf/status"),
            ("SSF §7.1 add_subject_endpoint", "add_subject_endpoint", "https://logout.example/ssf/subjects:add"),
            (
                "SSF §7.1 remove_subject_endpoint", "remove_subject_endpoint",
                "https://logout.example/ssf/subjects:remove"
            ),
            (
                "SSF §7.1 verification_endpoint (interop §2.3.6)", "verification_endpoint",
                "https://logout.example/ssf/verify"
            ),
            (
                "SSF §7.1.1 authorization_schemes with OAuth (interop §2.3.7) and bearer tokens",
                "authorization_schemes",
                [["spec_urn": "urn:ietf:rfc:6749"], ["spec_urn": "urn:ietf:rfc:6750"]]
            ),
            ("SSF §7.1 default_subjects ALL (interop §2.4.2)", "default_subjects", "ALL"),
        ] as [(String, String, JSONValue)]
    )
    func member(rule: String, name: String, value: JSONValue) {
        #expect(Self.document[name] == value, "\(rule)")
    }

    /// SSF §7.2.3: claims with zero elements are omitted; nothing else is in the document.
    @Test func holdsExactlyTheElevenMembers() {
        #expect(Self.document.objectValue?.count == 11)
        #expect(Self.document.objectValue?.values.allSatisfy { $0 != .null && $0 != [] } == true)
    }

    /// SSF §6.1.2: a poll stream's URL is ours and unique per stream; the id is percent-encoded.
    @Test(
        arguments: [
            (
                "https://h.example", "f67e39a0a4d34d56b3aa1bc4cff0069f",
                "https://h.example/ssf/poll/f67e39a0a4d34d56b3aa1bc4cff0069f"
            ),
            ("https://h.example/", "abc", "https://h.example/ssf/poll/abc"),
            ("https://h.example/base", "a/b c", "https://h.example/base/ssf/poll/a%2Fb%20c"),
        ]
    )
    func pollURL(base: String, streamID: String, url: String) {
        #expect(SSFTransmitterMetadata.pollURL(publicBaseURL: base, streamID: streamID) == url)
    }

    /// SSF §7.2: the well-known segment goes between host and the issuer's path, whose
    /// trailing slash is dropped.
    @Test(
        arguments: [
            ("https://tr.example.com", "/.well-known/ssf-configuration"),
            ("https://tr.example.com/", "/.well-known/ssf-configuration"),
            ("https://tr.example.com/issuer1", "/.well-known/ssf-configuration/issuer1"),
            ("https://tr.example.com/issuer1/", "/.well-known/ssf-configuration/issuer1"),
        ]
    )
    func wellKnownPath(issuer: String, path: String) {
        #expect(SSFTransmitterMetadata.wellKnownPath(forIssuer: issuer) == path)
    }
}
