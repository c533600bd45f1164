/// Which IP addresses an outbound delivery may connect to (rulebook DEL-8).
///
/// A registered `backchannel_logout_uri` is attacker-influenced input for anyone who can register
/// an RP, so by default only globally routable unicast addresses are allowed. Embedded IPv4
/// addresses (IPv4-mapped, NAT64, 6to4) are judged by the IPv4 address they carry.
public enum AddressPolicy {
    public enum Verdict: Sendable, Equatable {
        case allowed
        case refused(String)
    }

    public static func check(ipv4 bytes: [UInt8]) -> Verdict {
        guard bytes.count == 4 else { return .refused("not an IPv4 address") }
        let (a, b, c) = (bytes[0], bytes[1], bytes[2])
        switch a {
        case 0: return .refused("\"this network\" address")
        case 10: return .refused("private address")
        case 100 where (64...127).contains(b): return .refused("shared (CGNAT) address")
        case 127: return .refused("loopback address")
        case 169 where b == 254: return .refused("link-local address")
        case 172 where (16...31).contains(b): return .refused("private address")
        case 192 where b == 0 && c == 0: return .refused("IETF protocol assignment")
        case 192 where b == 0 && c == 2: return .refused("documentation address")
        case 192 where b == 88 && c == 99: return .refused("6to4 relay anycast address")
        case 192 where b == 168: return .refused("private address")
        case 198 where b == 18 || b == 19: return .refused("benchmarking address")
        case 198 where b == 51 && c == 100: return .refused("documentation address")
        case 203 where b == 0 && c == 113: return .refused("documentation address")
        case 224...239: return .refused("multicast address")
        case 240...255: return .refused("reserved address")
        default: return .allowed
        }
    }

    public static func check(ipv6 bytes: [UInt8]) -> Verdict {
        guard bytes.count == 16 else { return .refused("not an IPv6 address") }
        let words = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        let first = words[0]
        if words[0..<5].allSatisfy({ $0 == 0 }) && words[5] == 0xFFFF {
            return check(ipv4: Array(bytes[12..<16]))  // ::ffff:a.b.c.d
        }
        if words[0..<6].allSatisfy({ $0 == 0 }) {
            if words[6] == 0 && words[7] <= 1 {
                return .refused(words[7] == 1 ? "loopback address" : "unspecified address")
            }
            return .refused("IPv4-compatible address")
        }
        if first == 0x0064 && words[1] == 0xFF9B && words[2..<6].allSatisfy({ $0 == 0 }) {
            return check(ipv4: Array(bytes[12..<16]))  // NAT64 64:ff9b::/96
        }
        if first == 0x2002 {
            return check(ipv4: Array(bytes[2..<6]))  // 6to4
        }
        switch first {
        case 0x0100 where words[1..<4].allSatisfy({ $0 == 0 }): return .refused("discard-only address")
        case 0x2001 where words[1] < 0x0200: return .refused("IETF protocol assignment (Teredo and others)")
        case 0x2001 where words[1] == 0x0DB8: return .refused("documentation address")
        case 0xFC00...0xFDFF: return .refused("unique local address")
        case 0xFE80...0xFEBF: return .refused("link-local address")
        case 0xFEC0...0xFEFF: return .refused("site-local address")
        case 0xFF00...0xFFFF: return .refused("multicast address")
        case 0x2000...0x3FFF: return .allowed
        default: return .refused("not a global unicast address")
        }
    }
}
