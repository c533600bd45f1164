/// The JOSE `typ` header as a media type (RFC 7515 §4.1.9): compared without case, the
/// `application/` prefix optional. Logout tokens, SETs and access tokens are each told apart
/// by it (RFC 8725 §3.11), so the three validators read it the same way.
public enum JOSEType {
    /// The media type without case or `application/`; nil when `typ` is not a string.
    public static func normalized(_ typ: JSONValue?) -> String? {
        guard var value = typ?.stringValue?.lowercased() else { return nil }
        if value.hasPrefix("application/") { value.removeFirst("application/".count) }
        return value
    }
}
