import AsyncHTTPClient
import Foundation
import LogoutCore
import NIOCore
import NIOHTTP1

/// Fetches issuer key sets under the rulebook's limits: the registered URI only, no redirects,
/// 2 s to connect, 5 s in all, at most 64 KiB.
public struct JWKSFetcher: JWKSFetching {
    public static let maximumBytes = 64 * 1024

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private let clients: GuardedHTTPClients
    private let timeout: Duration

    public init(clients: GuardedHTTPClients, timeout: Duration = .seconds(5)) {
        self.clients = clients
        self.timeout = timeout
    }

    public func fetchJWKS(from uri: String) async throws -> FetchedJWKS {
        guard let url = URL(string: uri), url.scheme == "https" || url.scheme == "http" else {
            throw Failure(description: "jwks_uri is not an http(s) URL")
        }
        do {
            return try await withDeadline(timeout, timedOut: { DeadlineExceeded() }) {
                let client = try await clients.client(for: url)
                var request = HTTPClientRequest(url: uri)
                request.headers.add(name: "Accept", value: "application/jwk-set+json, application/json")
                request.headers.add(name: "User-Agent", value: "logoutd")
                let response = try await client.execute(request, deadline: .distantFuture)
                guard response.status == .ok else {
                    throw Failure(description: "jwks_uri answered HTTP \(response.status.code)")
                }
                var body: [UInt8] = []
                for try await chunk in response.body {
                    body.append(contentsOf: chunk.readableBytesView)
                    if body.count > Self.maximumBytes {
                        throw Failure(description: "the JWKS is larger than \(Self.maximumBytes) bytes")
                    }
                }
                return FetchedJWKS(bytes: body, maxAge: Self.maxAge(response.headers.first(name: "Cache-Control")))
            }
        } catch let failure as Failure {
            throw failure
        } catch is DeadlineExceeded {
            throw Failure(description: "jwks_uri did not answer within \(formatDuration(timeout))")
        } catch {
            throw Failure(description: "cannot fetch jwks_uri: \(error)")
        }
    }

    static func maxAge(_ cacheControl: String?) -> Double? {
        guard let cacheControl else { return nil }
        for directive in cacheControl.split(separator: ",") {
            let parts = directive.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0].lowercased() == "max-age", let seconds = Double(parts[1]) {
                return seconds
            }
        }
        return nil
    }
}
