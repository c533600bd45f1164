import Foundation
import LogoutJWT

/// The admin API's bearer token, read from `admin.token_file`, created when missing (C2).
enum AdminToken {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func loadOrCreate(path: String) throws -> String {
        if FileManager.default.fileExists(atPath: path) {
            try SecretFile.checkPrivate(path, what: "admin.token_file")
        }
        if let data = FileManager.default.contents(atPath: path) {
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard token.count >= 16 else {
                throw Failure(
                    description: "admin.token_file \(path) holds fewer than 16 characters; use a long random token"
                )
            }
            return token
        }
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(
            atPath: directory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        let token = Digests.randomIdentifier(bytes: 32)
        guard
            FileManager.default.createFile(
                atPath: path,
                contents: Data((token + "\n").utf8),
                attributes: [.posixPermissions: 0o600]
            )
        else { throw Failure(description: "cannot create admin.token_file \(path)") }
        return token
    }
}
