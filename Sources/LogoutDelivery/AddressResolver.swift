import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Resolves a host name to its IP addresses with the system resolver, off the event loops.
public struct AddressResolver: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    public enum Address: Sendable, Equatable {
        case v4([UInt8])
        case v6([UInt8])

        public var text: String {
            switch self {
            case .v4(let bytes): return bytes.map(String.init).joined(separator: ".")
            case .v6(let bytes):
                var storage = in6_addr()
                withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: bytes) }
                var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                _ = inet_ntop(AF_INET6, &storage, &buffer, socklen_t(buffer.count))
                return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
    }

    /// An IP literal (`192.0.2.1`, `::1`, `[::1]`) without any lookup.
    public static func literal(_ host: String) -> Address? {
        var host = host
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return .v4(withUnsafeBytes(of: &v4) { Array($0) })
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return .v6(withUnsafeBytes(of: &v6) { Array($0) })
        }
        return nil
    }

    public init() {}

    public func resolve(_ host: String) async throws -> [Address] {
        if let literal = Self.literal(host) { return [literal] }
        return try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            #if canImport(Glibc)
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            #else
                hints.ai_socktype = SOCK_STREAM
            #endif
            var result: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, nil, &hints, &result)
            guard status == 0, let first = result else {
                throw Failure(description: "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
            }
            defer { freeaddrinfo(first) }
            var addresses: [Address] = []
            var cursor: UnsafeMutablePointer<addrinfo>? = first
            while let info = cursor {
                if let sockaddr = info.pointee.ai_addr {
                    switch info.pointee.ai_family {
                    case AF_INET:
                        sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                            var address = pointer.pointee.sin_addr
                            addresses.append(.v4(withUnsafeBytes(of: &address) { Array($0) }))
                        }
                    case AF_INET6:
                        sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                            var address = pointer.pointee.sin6_addr
                            addresses.append(.v6(withUnsafeBytes(of: &address) { Array($0) }))
                        }
                    default:
                        break
                    }
                }
                cursor = info.pointee.ai_next
            }
            var unique: [Address] = []
            for address in addresses where !unique.contains(address) { unique.append(address) }
            return unique
        }
    }
}
