/// Subject matching (SSF §8.1.3.1): which of a stream's subjects an event is about.
extension SubjectIdentifier {
    /// Whether this subject (one a receiver added to or removed from a stream) covers an event
    /// about the person `iss`/`sub`, known also by `email`, in session `sessionID`.
    ///
    /// The event's subject is the one we send (`person(iss:sub:sessionID:)`), or the same with the
    /// person's email as the user; the subject matches if it matches either. An `opaque` subject
    /// names a stream or a session, never a person, so on its own it matches no person.
    public func matches(iss: String, sub: String, email: String? = nil, sessionID: String? = nil) -> Bool {
        if matches(.person(iss: iss, sub: sub, sessionID: sessionID)) { return true }
        guard let email else { return false }
        let byEmail: SubjectIdentifier =
            sessionID.map { .complex(ComplexSubject(user: .email(email), session: .opaque($0))) } ?? .email(email)
        return matches(byEmail)
    }

    /// SSF §8.1.3.1: simple subjects match when identical; complex ones when, member by member,
    /// one side leaves it out or both hold the same. A simple subject against a complex one is
    /// compared with its `user`, the member a simple subject stands for.
    public func matches(_ other: SubjectIdentifier) -> Bool {
        switch (self, other) {
        case (.complex(let mine), .complex(let theirs)):
            return Self.compatible(mine.user, theirs.user) && Self.compatible(mine.session, theirs.session)
                && mine.others.allSatisfy { name, value in theirs.others[name].map { $0 == value } ?? true }
        case (.complex(let complex), let simple), (let simple, .complex(let complex)):
            return complex.user.map { $0.identical(to: simple) } ?? false
        default:
            return identical(to: other)
        }
    }

    private static func compatible(_ left: SubjectIdentifier?, _ right: SubjectIdentifier?) -> Bool {
        guard let left, let right else { return true }
        return left.identical(to: right)
    }

    /// Simple subjects are identical when format and members are; an email's case does not count,
    /// as mail systems treat `Jane@Example.com` and `jane@example.com` as one mailbox.
    private func identical(to other: SubjectIdentifier) -> Bool {
        switch (self, other) {
        case (.email(let left), .email(let right)): return left.lowercased() == right.lowercased()
        default: return self == other
        }
    }
}
