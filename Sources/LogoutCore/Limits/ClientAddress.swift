/// Who is charged for a rejected request (SEC-4).
public enum ClientAddress {
    /// An IPv4 address as it is; an IPv6 address by its /64, since one host commonly holds a
    /// whole /64 and could otherwise take a fresh budget per address. IPv4-mapped IPv6 addresses
    /// (`::ffff:192.0.2.7`, from a dual-stack listener) count as the IPv4 address they carry.
    public static func budgetKey(_ address: String) -> String {
        guard address.contains(":") else { return address }
        let lowered = address.lowercased()
        if lowered.hasPrefix("::ffff:"), lowered.contains(".") { return String(lowered.dropFirst(7)) }
        guard let groups = expandIPv6(lowered) else { return lowered }
        return groups.prefix(4).map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
    }

    /// The eight 16-bit groups of an IPv6 address in text form, or `nil` if it is not one.
    static func expandIPv6(_ text: String) -> [UInt16]? {
        let address = text.split(separator: "%", maxSplits: 1).first.map(String.init) ?? text
        var halves: [String] = []
        var rest = Substring(address)
        while let range = rest.firstRange(of: "::") {
            halves.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        halves.append(String(rest))
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            guard !part.isEmpty else { return [] }
            var result: [UInt16] = []
            for piece in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16) else { return nil }
                result.append(value)
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 8 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
        return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }
}
