import Foundation
import LogoutAdminAPI
import LogoutCore

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

    static let minimumSecretBytes = 32

    static func secret(_ value: String, field: String) throws(AdminError) {
        guard value.utf8.count >= minimumSecretBytes else {
            throw AdminError.invalid(
                "\(field) must be at least \(minimumSecretBytes) bytes (HS256 needs a 256-bit key)"
            )
        }
    }
}
