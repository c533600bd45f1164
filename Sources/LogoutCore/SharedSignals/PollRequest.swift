/// A receiver's poll (RFC 8936 §2.2, SSF-4): `{"maxEvents","returnImmediately","ack","setErrs"}`.
///
/// Every member is optional; types and sizes are checked strictly (400 otherwise), and
/// `maxEvents` above our maximum is lowered to it rather than refused, as RFC 8936 lets the
/// transmitter return fewer SETs than asked.
public struct PollRequest: Sendable, Equatable {
    /// The most SETs one answer carries; also the default when `maxEvents` is absent (RFC 8936
    /// would then return all, which one client should not be able to ask of us).
    public static let maximumEvents = 100
    /// The most `ack` plus `setErrs` entries one poll may carry.
    public static let maximumAcknowledgements = 1000

    /// 0 is an acknowledge-only poll (RFC 8936 §2.2, §2.4.2).
    public var maxEvents: Int
    /// `false` (the default) asks for a long poll: wait for a SET rather than answer empty.
    public var returnImmediately: Bool
    /// `jti`s the receiver processed, without duplicates, in the order sent.
    public var acknowledged: [String]
    /// `jti`s the receiver could not process, with why (RFC 8936 §2.4.4).
    public var errors: [String: SETErrorBody]

    public init(
        maxEvents: Int = PollRequest.maximumEvents,
        returnImmediately: Bool = false,
        acknowledged: [String] = [],
        errors: [String: SETErrorBody] = [:]
    ) {
        self.maxEvents = min(maxEvents, Self.maximumEvents)
        self.returnImmediately = returnImmediately
        self.acknowledged = acknowledged
        self.errors = errors
    }

    public static func parse(_ body: JSONValue) throws(SSFRequestError) -> PollRequest {
        let object = try SSFObject(body, what: "the poll request", rule: "SSF-4")
        let acknowledged =
            try object.strings(
                "ack",
                maximumCount: maximumAcknowledgements,
                maximumLength: SSFLimits.maximumJTILength
            ) ?? []
        var seen = Set<String>()
        let unique = acknowledged.filter { seen.insert($0).inserted }
        var errors: [String: SETErrorBody] = [:]
        if let value = object["setErrs"] {
            guard let entries = value.objectValue else { throw object.fail("setErrs must be a JSON object") }
            guard entries.count + unique.count <= maximumAcknowledgements else {
                throw object.fail("ack and setErrs hold more than \(maximumAcknowledgements) entries")
            }
            for (jti, entry) in entries {
                guard !jti.isEmpty, jti.count <= SSFLimits.maximumJTILength, !SafeText.hasControlCharacters(jti) else {
                    throw object.fail(
                        "setErrs keys must be jti values of 1 to \(SSFLimits.maximumJTILength) characters"
                    )
                }
                guard let error = SETErrorBody.parse(entry), !SafeText.hasControlCharacters(error.err) else {
                    throw object.fail("each setErrs entry must be an object with an err code of 1 to 64 characters")
                }
                guard !seen.contains(jti) else {
                    throw object.fail("a SET cannot be both acknowledged and reported as an error")
                }
                errors[jti] = error
            }
        }
        return PollRequest(
            maxEvents: try object.count("maxEvents") ?? maximumEvents,
            returnImmediately: try object.bool("returnImmediately") ?? false,
            acknowledged: unique,
            errors: errors
        )
    }

    /// The same poll once its acknowledgements are applied and the long poll has waited: the
    /// shell plans again with this when a SET arrives or the wait ends.
    public var afterWaiting: PollRequest {
        PollRequest(maxEvents: maxEvents, returnImmediately: true)
    }
}
