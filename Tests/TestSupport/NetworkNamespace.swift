import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A network namespace of the test's own, joined to the host by one veth pair on a /30 of
/// 10.213.0.0/16: a replica or an RP inside it is another host as far as TCP can tell, and
/// iptables rules inside it cut or degrade that one link while the rest of the machine (the
/// test, PostgreSQL, the other replicas on loopback) is untouched. Nothing leaves the machine:
/// the namespace has no route but its link to the host.
public final class NetworkNamespace: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let name: String
    /// The host's end of the link: where the namespace reaches the host's listeners.
    public let hostAddress: String
    /// The namespace's end: where the host reaches the namespace's listeners.
    public let address: String

    static let ip = "/usr/sbin/ip"
    static let iptables = "/usr/sbin/iptables"

    /// Root, iproute2 and iptables (.ci/run installs iptables).
    public static var isAvailable: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: ip)
            && FileManager.default.isExecutableFile(atPath: iptables)
    }

    /// The prefix that runs a command inside the namespace (`ip netns exec` enters it and execs
    /// the command: the process keeps its pid, so signals reach it).
    public var exec: [String] { [Self.ip, "netns", "exec", name] }

    private init(name: String, hostAddress: String, address: String) {
        self.name = name
        self.hostAddress = hostAddress
        self.address = address
    }

    public static func create() async throws -> NetworkNamespace {
        await removeAbandoned()
        let used = try await run(ip, ["-o", "-4", "addr", "show"]).output
        for _ in 0..<64 {
            let block = Int.random(in: 0..<16_384) * 4
            let (third, fourth) = (block / 256, block % 256)
            let prefix = "10.213.\(third)."
            guard !used.contains(prefix + "\(fourth + 1)/"), !used.contains(prefix + "\(fourth + 2)/") else { continue }
            let tag = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
            let namespace = NetworkNamespace(
                name: "logoutd-test-\(getpid())-\(tag)",
                hostAddress: prefix + "\(fourth + 1)",
                address: prefix + "\(fourth + 2)"
            )
            let (host, inside) = ("lgh" + tag, "lgn" + tag)
            do {
                try await run(ip, ["netns", "add", namespace.name])
                try await run(ip, ["link", "add", host, "type", "veth", "peer", "name", inside])
                try await run(ip, ["link", "set", inside, "netns", namespace.name])
                try await run(ip, ["addr", "add", namespace.hostAddress + "/30", "dev", host])
                try await run(ip, ["link", "set", host, "up"])
                try await namespace.run([ip, "link", "set", "lo", "up"])
                try await namespace.run([ip, "addr", "add", namespace.address + "/30", "dev", inside])
                try await namespace.run([ip, "link", "set", inside, "up"])
            } catch {
                await namespace.remove()
                throw error
            }
            return namespace
        }
        throw Failure(description: "no free /30 in 10.213.0.0/16")
    }

    /// Runs a command inside the namespace.
    @discardableResult
    public func run(_ command: [String]) async throws -> ChildProcess {
        try await Self.run(Self.ip, ["netns", "exec", name] + command)
    }

    /// Adds an iptables rule inside the namespace (`-A CHAIN …`), or deletes it (`-D CHAIN …`).
    public func iptables(_ rule: [String]) async throws {
        try await run([Self.iptables, "-w"] + rule)
    }

    /// How many packets the namespace's `DROP` rules have dropped so far (`INPUT` and `OUTPUT`,
    /// iptables' own counters): what shows that a degraded link was degraded, whatever the
    /// traffic made of it.
    public func droppedPackets() async throws -> Int {
        var total = 0
        for chain in ["OUTPUT", "INPUT"] {
            let listing = try await run([Self.iptables, "-w", "-L", chain, "-v", "-n", "-x"]).output
            for line in listing.split(separator: "\n") {
                // pkts bytes target prot opt in out source destination
                let fields = line.split(separator: " ")
                if fields.count > 2, fields[2] == "DROP", let packets = Int(fields[0]) { total += packets }
            }
        }
        return total
    }

    /// The packets between the namespace and `port` on the host's end are dropped from now on,
    /// both ways: neither side hears anything, no reset, no end, as when a switch between them
    /// fails. Connections hang until a timeout of their own ends them.
    public func cut(port: Int) async throws {
        for rule in Self.rules("-A", port: port, hostAddress: hostAddress) { try await iptables(rule) }
    }

    public func heal(port: Int) async throws {
        for rule in Self.rules("-D", port: port, hostAddress: hostAddress) { try await iptables(rule) }
    }

    static func rules(_ action: String, port: Int, hostAddress: String) -> [[String]] {
        [
            [action, "OUTPUT", "-p", "tcp", "-d", hostAddress, "--dport", String(port), "-j", "DROP"],
            [action, "INPUT", "-p", "tcp", "-s", hostAddress, "--sport", String(port), "-j", "DROP"],
        ]
    }

    /// Deleting the namespace deletes its end of the veth pair, and with it the host's.
    public func remove() async {
        _ = try? await ChildProcess.run(Self.ip, ["netns", "delete", name])
    }

    /// Namespaces of test processes that died before removing theirs.
    static func removeAbandoned() async {
        guard let names = try? await ChildProcess.run(ip, ["netns", "list"]).output else { return }
        for line in names.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            let parts = name.split(separator: "-")
            guard parts.count == 4, name.hasPrefix("logoutd-test-"), let pid = Int32(parts[2]) else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { _ = try? await ChildProcess.run(ip, ["netns", "delete", name]) }
        }
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) async throws -> ChildProcess {
        let result = try await ChildProcess.run(executable, arguments, mergeErrors: true)
        guard result.status == 0 else {
            throw Failure(description: "\(executable) \(arguments.joined(separator: " ")): \(result.output)")
        }
        return result
    }
}
