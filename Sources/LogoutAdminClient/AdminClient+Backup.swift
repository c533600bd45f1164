import AsyncHTTPClient
import Foundation
import LogoutCore
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
    import Glibc
#endif

extension AdminClient {
    public struct BackupFailure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Streams `GET /admin/v1/backup` into `path`: written beside it as `path.partial` (0600),
    /// synced, checked (every byte announced arrived, and it is an SQLite file), then renamed,
    /// so `path` is either a whole backup or absent.
    /// - Returns: the number of bytes written.
    public func downloadBackup(to path: String) async throws -> Int {
        var request = HTTPClientRequest(url: endpoint.url("/admin/v1/backup"))
        request.headers.add(name: "Authorization", value: "Bearer " + token)
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .hours(6))
        } catch {
            throw Failure.unreachable(endpoint, String(describing: error))
        }
        guard response.status == .ok else {
            let body = try await response.body.collect(upTo: 1 << 20)
            try check(Int(response.status.code), body: Array(body.readableBytesView))
            throw Failure.unreadable("HTTP \(response.status.code) without a backup")
        }
        let expected = response.headers.first(name: "Content-Length").flatMap(Int.init)
        let partial = path + ".partial"
        unlink(partial)
        let descriptor = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw BackupFailure(description: "cannot create \(partial): \(String(cString: strerror(errno)))")
        }
        let file = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var written = 0
        var head: [UInt8] = []
        do {
            for try await buffer in response.body {
                if head.count < 16 { head += buffer.readableBytesView.prefix(16 - head.count) }
                try file.write(contentsOf: Data(buffer.readableBytesView))
                written += buffer.readableBytes
            }
            try file.synchronize()
            try file.close()
        } catch {
            unlink(partial)
            throw BackupFailure(description: "the backup was cut short after \(written) bytes: \(error)")
        }
        guard expected == nil || expected == written else {
            unlink(partial)
            throw BackupFailure(description: "the backup was cut short: \(written) of \(expected ?? 0) bytes")
        }
        guard head == Array("SQLite format 3\0".utf8) else {
            unlink(partial)
            throw BackupFailure(description: "the admin API answered something that is not an SQLite database")
        }
        guard rename(partial, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(partial)
            throw BackupFailure(description: "cannot move the backup to \(path): \(reason)")
        }
        return written
    }
}
