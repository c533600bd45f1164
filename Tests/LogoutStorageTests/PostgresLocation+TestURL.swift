import Foundation

@testable import LogoutPostgres

/// The test clusters' URLs (`TestPostgres`) as the store takes them. The daemon reads
/// `database.url` with the configuration's `DatabaseURL`, whose refusals are tested there; this
/// reads the well-formed URLs the tests make.
extension PostgresLocation {
    struct NotATestURL: Error {}

    init(url text: String) throws {
        guard let components = URLComponents(string: text), let user = components.user,
            let host = components.host
        else { throw NotATestURL() }
        var tls = TLSMode.verifyFull
        var rootCertificates: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else { throw NotATestURL() }
                tls = mode
            case "sslrootcert": rootCertificates = item.value
            default: throw NotATestURL()
            }
        }
        self.init(
            host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")),
            port: components.port ?? 5432,
            user: user,
            database: String(components.path.dropFirst()),
            tls: tls,
            rootCertificates: rootCertificates
        )
    }
}
