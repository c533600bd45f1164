/// A receiver's add-subject or remove-subject request (SSF §8.1.3.2, §8.1.3.3):
/// `{"stream_id","subject","verified"}`.
///
/// Streams start with every subject (`default_subjects: "ALL"`); a removed subject stops the
/// person's events on that stream, adding it again restarts them. The subject must be in a
/// format we can match (`iss_sub`, `email`, or complex with those), else 400: accepting one we
/// cannot match would let a receiver believe it had unsubscribed someone.
public struct SubjectRequest: Sendable, Equatable {
    public var streamID: String
    public var subject: SubjectIdentifier
    /// Add only: absent means verified (SSF §8.1.3.2).
    public var verified: Bool

    public init(streamID: String, subject: SubjectIdentifier, verified: Bool = true) {
        self.streamID = streamID
        self.subject = subject
        self.verified = verified
    }

    public static func parse(_ body: JSONValue) throws(SSFRequestError) -> SubjectRequest {
        let object = try SSFObject(body, what: "the subject request")
        let streamID = try object.streamID()
        guard let value = object["subject"] else { throw object.fail("subject is missing") }
        let subject: SubjectIdentifier
        do {
            subject = try SubjectIdentifier.parse(value)
        } catch {
            throw object.fail("subject: \(error.description)")
        }
        // The stream's own opaque subject is implicitly on it and cannot be removed (SSF §8.1.4.1).
        if case .opaque = subject {
            throw object.fail("an opaque subject names a stream or a session, not a person: use iss_sub or email")
        }
        return SubjectRequest(streamID: streamID, subject: subject, verified: try object.bool("verified") ?? true)
    }
}
