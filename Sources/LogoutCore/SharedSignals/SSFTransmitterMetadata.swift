import Foundation

/// Our transmitter configuration metadata, `/.well-known/ssf-configuration` (SSF §7.1, SSF-1),
/// and the paths of the endpoints it names.
///
/// Receivers find every endpoint here, so the paths are ours to choose; they live on the public
/// listener, beside our JWKS, which already publishes the key SETs are signed with (OUT-4).
public enum SSFTransmitterMetadata {
    public static let wellKnownPath = "/.well-known/ssf-configuration"
    public static let streamsPath = "/ssf/streams"
    public static let statusPath = "/ssf/status"
    public static let addSubjectPath = "/ssf/subjects:add"
    public static let removeSubjectPath = "/ssf/subjects:remove"
    public static let verificationPath = "/ssf/verify"
    /// Followed by the percent-encoded stream id.
    public static let pollPathPrefix = "/ssf/poll/"
    /// Where `PublicRoutes` serves our JWKS (the same URL our OpenID discovery names).
    public static let jwksPath = "/.well-known/jwks.json"

    /// RFC 6750 bearer tokens (the receiver's token from `logoutd ssf receivers add`) and OAuth
    /// access tokens from a registered issuer (RFC 6749, which the CAEP interoperability profile
    /// §2.3.7 requires to be listed).
    public static let authorizationSchemes: [String] = ["urn:ietf:rfc:6749", "urn:ietf:rfc:6750"]

    /// The document. `issuer` is our `iss` (it must equal the `iss` of every SET, SSF §7.1);
    /// endpoints hang off `publicBaseURL`, the public listener as receivers reach it.
    public static func document(issuer: String, publicBaseURL: String) -> JSONValue {
        let base = trimmed(publicBaseURL)
        return [
            "spec_version": "1_0",
            "issuer": .string(issuer),
            "jwks_uri": .string(base + jwksPath),
            "delivery_methods_supported": .array(SSFDeliveryMethod.allCases.map { .string($0.rawValue) }),
            "configuration_endpoint": .string(base + streamsPath),
            "status_endpoint": .string(base + statusPath),
            "add_subject_endpoint": .string(base + addSubjectPath),
            "remove_subject_endpoint": .string(base + removeSubjectPath),
            "verification_endpoint": .string(base + verificationPath),
            "authorization_schemes": .array(authorizationSchemes.map { JSONValue.object(["spec_urn": .string($0)]) }),
            // Every person's events go to every stream unless the receiver removes a subject.
            "default_subjects": "ALL",
        ]
    }

    /// A poll stream's `endpoint_url` (SSF §6.1.2: assigned by the transmitter, one per stream).
    public static func pollURL(publicBaseURL: String, streamID: String) -> String {
        let unreserved = CharacterSet(
            charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
        )
        let encoded = streamID.addingPercentEncoding(withAllowedCharacters: unreserved) ?? streamID
        return trimmed(publicBaseURL) + pollPathPrefix + encoded
    }

    /// Where the document is served for an issuer with a path (SSF §7.2): the well-known
    /// segment goes between host and path, so `https://h/tenant` is served at
    /// `/.well-known/ssf-configuration/tenant`.
    public static func wellKnownPath(forIssuer issuer: String) -> String {
        guard let path = URLComponents(string: issuer)?.path, path != "/", !path.isEmpty else {
            return wellKnownPath
        }
        return wellKnownPath + (path.hasSuffix("/") ? String(path.dropLast()) : path)
    }

    private static func trimmed(_ base: String) -> String {
        base.hasSuffix("/") ? String(base.dropLast()) : base
    }
}
