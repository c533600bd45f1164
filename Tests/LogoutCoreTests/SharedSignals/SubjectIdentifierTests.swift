import LogoutCore
import Testing

/// Subject identifiers (RFC 9493 §3, SSF §3) and subject matching (SSF §8.1.3.1), used by
/// SSF-2 (add/remove subject), SSF-3 (what we send) and SSF-5 (what we act on).
@Suite struct SubjectIdentifierTests {
    @Test(
        arguments: [
            (
                "SSF §3.2 simple email subject", #"{"format":"email","email":"foo@example.com"}"#,
                SubjectIdentifier.email("foo@example.com")
            ),
            (
                "RFC 9493 §3.2.4 iss_sub", #"{"format":"iss_sub","iss":"https://idp.example.com/","sub":"1234"}"#,
                .issSub(iss: "https://idp.example.com/", sub: "1234")
            ),
            (
                "RFC 9493 §3.2.5 opaque", #"{"format":"opaque","id":"dMTlD|1600802906337.16|16008.16"}"#,
                .opaque("dMTlD|1600802906337.16|16008.16")
            ),
            (
                "SSF §3.3 complex subject keeps members it does not act on",
                #"{"format":"complex","user":{"format":"email","email":"bar@example.com"},"tenant":{"format":"iss_sub","iss":"https://example.com/idp1","sub":"1234"}}"#,
                .complex(
                    .init(
                        user: .email("bar@example.com"),
                        others: ["tenant": ["format": "iss_sub", "iss": "https://example.com/idp1", "sub": "1234"]]
                    )
                )
            ),
            (
                "CAEP §3.1 session-revoked complex subject",
                #"{"format":"complex","session":{"format":"opaque","id":"s1"},"user":{"format":"iss_sub","iss":"https://idp.example.com/123456789/","sub":"99beb27c"}}"#,
                .complex(
                    .init(
                        user: .issSub(iss: "https://idp.example.com/123456789/", sub: "99beb27c"),
                        session: .opaque("s1")
                    )
                )
            ),
            (
                "RFC 9493 members a format does not define are ignored", #"{"format":"opaque","id":"x","extra":1}"#,
                .opaque("x")
            ),
        ]
    )
    func parses(rule: String, text: String, subject: SubjectIdentifier) throws {
        #expect(try SubjectIdentifier.parse(ssfJSON(text)) == subject, "\(rule)")
        // Serializing and parsing again gives the same subject.
        #expect(try SubjectIdentifier.parse(subject.json) == subject, "\(rule)")
    }

    @Test(
        arguments: [
            (
                "unknown format (strict: a subject we cannot match)",
                #"{"format":"phone_number","phone_number":"+12065550123"}"#, true
            ),
            ("no format", #"{"email":"a@b"}"#, false),
            ("not an object", #""a@b""#, false),
            ("iss_sub without sub", #"{"format":"iss_sub","iss":"https://i"}"#, false),
            ("email empty", #"{"format":"email","email":""}"#, false),
            ("opaque id not a string", #"{"format":"opaque","id":7}"#, false),
            ("sub with NUL", #"{"format":"iss_sub","iss":"https://i","sub":"a\u0000b"}"#, false),
            (
                "complex in complex",
                #"{"format":"complex","user":{"format":"complex","user":{"format":"email","email":"a@b"}}}"#, false
            ),
            ("complex member that is not a subject", #"{"format":"complex","tenant":"t1"}"#, false),
            ("empty complex", #"{"format":"complex"}"#, false),
            (
                "complex with an unknown user format", #"{"format":"complex","user":{"format":"did","url":"did:x"}}"#,
                true
            ),
        ]
    )
    func refuses(name: String, text: String, unsupported: Bool) {
        do {
            _ = try SubjectIdentifier.parse(ssfJSON(text))
            Issue.record("\(name) was accepted")
        } catch {
            #expect(error.unsupportedFormat == unsupported, "\(name)")
        }
    }

    /// SSF §8.1.3.1's three examples, and simple subjects.
    @Test(
        arguments: [
            (
                "SSF §8.1.3.1 a less restrictive subject matches",
                #"{"format":"complex","tenant":{"format":"opaque","id":"example-a38h4792-uw2"}}"#,
                #"{"format":"complex","tenant":{"format":"opaque","id":"example-a38h4792-uw2"},"user":{"format":"email","email":"jdoe@example.com"}}"#,
                true
            ),
            (
                "SSF §8.1.3.1 a more restrictive subject matches",
                #"{"format":"complex","user":{"format":"email","email":"jdoe@example.com"},"device":{"format":"ip-addresses","ip-addresses":["10.29.37.75"]}}"#,
                #"{"format":"complex","user":{"format":"email","email":"jdoe@example.com"}}"#,
                true
            ),
            (
                "SSF §8.1.3.1 subjects that differ in one member do not match",
                #"{"format":"complex","user":{"format":"email","email":"jdoe@example.com"},"group":{"format":"did","url":"did:example:123456"}}"#,
                #"{"format":"complex","user":{"format":"email","email":"jdoe@example.com"},"group":{"format":"did","url":"did:example:9999999"}}"#,
                false
            ),
            (
                "SSF §8.1.3.1 identical simple subjects match", #"{"format":"email","email":"a@b.example"}"#,
                #"{"format":"email","email":"A@B.example"}"#, true
            ),
            (
                "SSF §8.1.3.1 different simple subjects do not", #"{"format":"opaque","id":"a"}"#,
                #"{"format":"opaque","id":"b"}"#, false
            ),
        ]
    )
    func matchesSubjects(rule: String, added: String, event: String, matches: Bool) throws {
        let left = try SubjectIdentifier.parse(ssfJSON(added))
        let right = try SubjectIdentifier.parse(ssfJSON(event))
        #expect(left.matches(right) == matches, "\(rule)")
        #expect(right.matches(left) == matches, "\(rule): matching is symmetric")
    }

    /// Whether a subject a receiver added or removed covers a logout of `alice` at idp, with
    /// email alice@example.com, in session sid-1.
    @Test(
        arguments: [
            ("iss_sub of the person", SubjectIdentifier.issSub(iss: "https://idp", sub: "alice"), true),
            ("iss_sub of another person", .issSub(iss: "https://idp", sub: "bob"), false),
            ("iss_sub at another issuer", .issSub(iss: "https://other", sub: "alice"), false),
            ("the person's email, any case", .email("Alice@Example.com"), true),
            ("another email", .email("bob@example.com"), false),
            ("an opaque subject names no person", .opaque("alice"), false),
            ("complex: the user alone", .complex(.init(user: .issSub(iss: "https://idp", sub: "alice"))), true),
            (
                "complex: user and session",
                .complex(.init(user: .issSub(iss: "https://idp", sub: "alice"), session: .opaque("sid-1"))), true
            ),
            (
                "complex: another session",
                .complex(.init(user: .issSub(iss: "https://idp", sub: "alice"), session: .opaque("sid-2"))), false
            ),
            ("complex: email user", .complex(.init(user: .email("alice@example.com"))), true),
            (
                "complex: a tenant only (we send none: a wildcard)",
                .complex(.init(others: ["tenant": ["format": "opaque", "id": "t"]])), true
            ),
        ]
    )
    func matchesAPerson(name: String, subject: SubjectIdentifier, matches: Bool) {
        #expect(
            subject.matches(iss: "https://idp", sub: "alice", email: "alice@example.com", sessionID: "sid-1")
                == matches,
            "\(name)"
        )
    }

    @Test func withoutAnEmailOnlyIssSubMatches() {
        #expect(!SubjectIdentifier.email("alice@example.com").matches(iss: "https://idp", sub: "alice"))
        #expect(SubjectIdentifier.issSub(iss: "https://idp", sub: "alice").matches(iss: "https://idp", sub: "alice"))
    }
}
