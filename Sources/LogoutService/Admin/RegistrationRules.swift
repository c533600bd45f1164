import Foundation
import LogoutAdminAPI
import LogoutCore
import LogoutDelivery

/// Checks on what admins register, so a mistake is refused with its fix instead of failing at
/// the first logout.
enum RegistrationRules {
    static func name(_ value: String) throws(AdminError) {
        let allowed = value.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        guard allowed, (1...64).contains(value.utf8.count), value.first != ".", value.first != "-" else {
            throw AdminError.invalid(
                "name must be a slug of 1 to 64 characters: lowercase letters, digits, '.', '-', '_'"
            )
        }
    }

    /// IN-14 for what admins register: no NUL or other control character, which SQLite and C
    /// APIs would cut the value at.
    static func identifier(_ value: String, field: String, maximum: Int = 255) throws(AdminError) {
        guard !value.isEmpty, value.count <= maximum, !SafeText.hasControlCharacters(value) else {
            throw AdminError.invalid("\(field) must be 1 to \(maximum) printable characters (no control characters)")
        }
    }

    /// An absolute http(s) URL without fragment; https unless `allowHTTP`.
    static func url(_ value: String, field: String, allowHTTP: Bool) throws(AdminError) {
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty
        else {
            throw AdminError.invalid("\(field) must be an absolute URL")
        }
        guard scheme == "https" || scheme == "http" else { throw AdminError.invalid("\(field) must be an http(s) URL") }
        guard url.fragment == nil, !value.contains("#") else {
            throw AdminError.invalid("\(field) must not contain a fragment")
        }
        guard url.user == nil, url.password == nil else {
            throw AdminError.invalid("\(field) must not carry credentials")
        }
        if scheme == "http" && !allowHTTP {
            throw AdminError.invalid(
                "\(field) must use https (allow plain http per RP with allow_http, or with delivery.allow_private_networks in development)"
            )
        }
    }

    /// A page we send browsers to (`post_logout_redirect_uris`): https. Plain http only in
    /// development (`delivery.allow_private_networks`) and only to a host no one else can own:
    /// `localhost`, a loopback address, or an RFC 1918 or unique-local address, as literals. A
    /// plain http page on a public name hands the RP's `state` to anyone on the path, and lets
    /// them answer in the RP's place.
    static func browserURL(_ value: String, field: String, allowPrivateNetworks: Bool) throws(AdminError) {
        try url(value, field: field, allowHTTP: true)
        guard isBrowserURL(value, allowPrivateNetworks: allowPrivateNetworks) else {
            throw AdminError.invalid(
                "\(field) must use https (plain http only for localhost or a loopback or private IP address, with delivery.allow_private_networks)"
            )
        }
    }

    /// The scheme and host half of `browserURL`, also applied when a browser is about to be sent
    /// to a URI registered before the rule.
    static func isBrowserURL(_ value: String, allowPrivateNetworks: Bool) -> Bool {
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased()
        else { return false }
        if scheme == "https" { return true }
        guard scheme == "http", allowPrivateNetworks else { return false }
        switch AddressResolver.literal(host) {
        case .v4(let b)?:
            return b[0] == 127 || b[0] == 10 || (b[0] == 172 && (16...31).contains(b[1]))
                || (b[0] == 192 && b[1] == 168)
        case .v6(let b)?:
            return b[0..<15].allSatisfy { $0 == 0 } && b[15] == 1 || b[0] & 0xFE == 0xFC
        case nil:
            return host == "localhost"
        }
    }

    static let minimumSecretBytes = 32

    static func secret(_ value: String, field: String) throws(AdminError) {
        guard value.utf8.count >= minimumSecretBytes else {
            throw AdminError.invalid(
                "\(field) must be at least \(minimumSecretBytes) bytes (HS256 needs a 256-bit key)"
            )
        }
    }
}
