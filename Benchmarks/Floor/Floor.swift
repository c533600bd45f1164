import ArgumentParser
import Foundation

/// The floor of Benchmarks/run, measured natively in the same run as logoutd's figures
/// (docs/benchmarks.md): what the work that cannot be skipped costs on this machine, in CPU per
/// unit of work, through the same libraries logoutd uses. Prints one JSON object.
@main
struct Floor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logoutd-floor",
        abstract: "ES256, SQLite and HTTP/1.1 alone: CPU per unit of logoutd's work, at its floor."
    )

    @Option(help: "A database logoutd created: its schema is the one measured.")
    var schemaFrom: String

    @Option(help: "A folder for the floor's database (not tmpfs: fsync must cost what it costs).")
    var work: String

    @Option(help: "nginx answering 200, as HOST:PORT: the delivery request's peer.")
    var nginx: String

    @Option(help: "Seconds per crypto and HTTP measurement.")
    var seconds: Double = 3

    @Option(help: "Logouts for the SQLite figures.")
    var logouts: Int = 2000

    @Option(help: "RPs per logout (the fan-out scenario's).")
    var rps: Int = 20

    @Option(help: "Kept-alive connections to nginx.")
    var connections: Int = 16

    func run() async throws {
        let signing = try SigningFloor.measure(seconds: seconds)
        let storage = try StorageFloor.measure(
            schemaFrom: schemaFrom,
            at: (work as NSString).appendingPathComponent("floor.sqlite3"),
            logouts: logouts,
            rps: rps
        )
        let parts = nginx.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]) else { throw ValidationError("--nginx HOST:PORT") }
        let (request, requests) = try await HTTPFloor.measure(
            host: String(parts[0]),
            port: port,
            connections: connections,
            seconds: seconds
        )
        let figures: [String: Double] = [
            "es256_sign_cpu_us": signing.signMicroseconds,
            "es256_verify_cpu_us": signing.verifyMicroseconds,
            "es256_sign_per_s_all_cores": signing.signsPerSecond,
            "es256_verify_per_s_all_cores": signing.verifiesPerSecond,
            "sqlite_cpu_us_per_logout": storage.logoutMicroseconds,
            "sqlite_intake_cpu_us_per_delivery": storage.intakeMicroseconds,
            "sqlite_claim_and_outcome_cpu_us_per_delivery": storage.claimAndOutcomeMicroseconds,
            "http_client_cpu_us_per_request": request,
            "http_requests": Double(requests),
        ]
        let data = try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
