/// Bounds on what a receiver or transmitter can make us store or read. Each is far above what
/// the specifications' examples use and far below what would let one client decide our costs.
public enum SSFLimits {
    /// `stream_id`: we make 32-character ids; other transmitters' ids are read up to this.
    public static let maximumStreamIDLength = 128
    /// `jti` of a SET, in acknowledgements and in SETs we receive (the same bound as IN-12).
    public static let maximumJTILength = LogoutTokenValidator.maximumJTILength
    /// `iss`, `sub`, `email`, `id` and `txn` values (the same bound as IN-14).
    public static let maximumIdentifierLength = LogoutTokenValidator.maximumSubjectLength
    /// Event type URIs and URLs.
    public static let maximumURILength = 2048
    /// `authorization_header`: room for a large bearer JWT.
    public static let maximumAuthorizationHeaderLength = 8192
    /// Free text (`description`, `reason`, `state`, error descriptions) is read up to this…
    public static let maximumTextLength = 4096
    /// …and a stream's `description` kept to this (SSF §8.1.1: the transmitter "MAY truncate").
    public static let maximumDescriptionLength = 256
    /// A status `reason` or an `err` description, as kept and shown.
    public static let maximumReasonLength = 256
    /// `events_requested` entries.
    public static let maximumRequestedEvents = 32
    /// Members of a complex subject.
    public static let maximumComplexMembers = 16
    /// Streams one receiver may hold: a stream costs a signature and a delivery per logout.
    public static let maximumStreamsPerReceiver = 32
    /// Subjects removed from one stream, and the size of one as stored.
    public static let maximumRemovedSubjects = 10_000
    public static let maximumSubjectBytes = 4096
}
