import LogoutCore
import Testing

@Suite struct AddressPolicyTests {
    static func v4(_ text: String) -> [UInt8] { text.split(separator: ".").map { UInt8($0)! } }

    /// DEL-8: every refused range, and public addresses allowed.
    @Test(arguments: [
        ("0.0.0.0", false), ("10.1.2.3", false), ("100.64.0.1", false), ("100.127.255.255", false),
        ("100.128.0.1", true),
        ("127.0.0.1", false), ("169.254.169.254", false), ("172.16.0.1", false), ("172.31.255.255", false),
        ("172.32.0.1", true), ("192.0.0.1", false), ("192.0.2.1", false), ("192.168.1.1", false), ("198.18.0.1", false),
        ("198.51.100.1", false), ("203.0.113.1", false), ("224.0.0.1", false), ("255.255.255.255", false),
        ("8.8.8.8", true), ("93.184.216.34", true),
    ])
    func ipv4(address: String, allowed: Bool) {
        #expect((AddressPolicy.check(ipv4: Self.v4(address)) == .allowed) == allowed, "\(address)")
    }

    static func v6(_ words: [UInt16]) -> [UInt8] { words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } }

    @Test(
        arguments: [
            ("::", [0, 0, 0, 0, 0, 0, 0, 0], false),
            ("::1", [0, 0, 0, 0, 0, 0, 0, 1], false),
            ("::ffff:127.0.0.1", [0, 0, 0, 0, 0, 0xFFFF, 0x7F00, 1], false),
            ("::ffff:8.8.8.8", [0, 0, 0, 0, 0, 0xFFFF, 0x0808, 0x0808], true),
            ("64:ff9b::10.0.0.1", [0x64, 0xFF9B, 0, 0, 0, 0, 0x0A00, 1], false),
            ("2002:0a00:0001::", [0x2002, 0x0A00, 0x0001, 0, 0, 0, 0, 0], false),
            ("fc00::1", [0xFC00, 0, 0, 0, 0, 0, 0, 1], false),
            ("fd12::1", [0xFD12, 0, 0, 0, 0, 0, 0, 1], false),
            ("fe80::1", [0xFE80, 0, 0, 0, 0, 0, 0, 1], false),
            ("ff02::1", [0xFF02, 0, 0, 0, 0, 0, 0, 1], false),
            ("2001:db8::1", [0x2001, 0x0DB8, 0, 0, 0, 0, 0, 1], false),
            ("2001::1 (Teredo)", [0x2001, 0, 0, 0, 0, 0, 0, 1], false),
            ("2606:4700::1111", [0x2606, 0x4700, 0, 0, 0, 0, 0, 0x1111], true),
        ] as [(String, [UInt16], Bool)]
    )
    func ipv6(name: String, words: [UInt16], allowed: Bool) {
        #expect((AddressPolicy.check(ipv6: Self.v6(words)) == .allowed) == allowed, "\(name)")
    }
}

@Suite struct DurationParserTests {
    @Test(arguments: [
        ("500ms", 0.5), ("5s", 5.0), ("10m", 600.0), ("1h", 3600.0), ("24h", 86_400.0), ("1h30m", 5400.0),
        ("2d", 172_800.0),
    ])
    func parses(text: String, seconds: Double) throws {
        #expect(try DurationParser.parse(text) == .seconds(clamping: seconds))
    }

    @Test(arguments: ["", "10", "5 s", "5x", "s", "-5s"])
    func refuses(text: String) {
        #expect(throws: DurationParser.Failure.self) { try DurationParser.parse(text) }
    }
}
