import Foundation
import Hummingbird
import LogoutCore
import NIOCore

/// A consistent copy of the database, taken for `GET /admin/v1/backup` and streamed to the
/// client in chunks, so a large store never sits in memory.
public struct DatabaseSnapshot: Sendable {
    public let size: Int
    public let takenAt: Timestamp
    /// The next chunk of at most the given size; empty at the end.
    public let read: @Sendable (Int) async throws -> [UInt8]
    /// Releases the copy (called once the response is written or abandoned).
    public let close: @Sendable () -> Void

    public init(
        size: Int,
        takenAt: Timestamp,
        read: @escaping @Sendable (Int) async throws -> [UInt8],
        close: @escaping @Sendable () -> Void
    ) {
        self.size = size
        self.takenAt = takenAt
        self.read = read
        self.close = close
    }

    func response() -> Response {
        let name = "logoutd-\(takenAt.rfc3339.replacingOccurrences(of: ":", with: "")).sqlite3"
        var headers = HTTPFields()
        headers[.contentType] = "application/vnd.sqlite3"
        headers[.cacheControl] = "no-store"
        headers[.contentDisposition] = "attachment; filename=\"\(name)\""
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody(contentLength: size) { writer in
                defer { close() }
                var sent = 0
                while sent < size {
                    let chunk = try await read(min(256 << 10, size - sent))
                    guard !chunk.isEmpty else { break }
                    sent += chunk.count
                    try await writer.write(ByteBuffer(bytes: chunk))
                }
                try await writer.finish(nil)
            }
        )
    }
}
