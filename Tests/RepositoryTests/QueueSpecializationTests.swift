import Foundation
import Testing

/// The queue engine is generic over the job kind, and `QueueDispatcher.run()` is reached through
/// `Service`'s generic witness: unspecialized, every step of every delivery ran through generic
/// dictionaries of jobs, which cost a tenth of a delivery's CPU in the benchmark (304 µs against
/// 276 µs before the engine was made generic). Each kind is specialized by name, in the engine
/// (exported to the service module) and in the dispatcher; a new kind without it fails here.
@Suite struct QueueSpecializationTests {
    static func source(_ path: String) -> String {
        (try? String(contentsOf: RulesTests.root.appendingPathComponent(path), encoding: .utf8)) ?? ""
    }

    /// Every `QueueJobKind` the core declares.
    static var kinds: Set<String> {
        var found: Set<String> = []
        for file in RulesTests.files(under: "Sources", extensions: ["swift"]) {
            for match in RulesTests.text(file).matches(of: #/\b(?:enum|struct)\s+(\w+)\s*:\s*QueueJobKind\b/#) {
                found.insert(String(match.output.1))
            }
        }
        return found
    }

    @Test func everyKindIsSpecializedInTheEngineAndTheDispatcher() {
        let kinds = Self.kinds
        #expect(kinds.isSuperset(of: ["DeliveryJobs", "RevocationJobs"]), "found \(kinds)")
        // The engine and its extensions in files of their own, every one of them.
        let folder = RulesTests.root.appendingPathComponent("Sources/LogoutCore/Queue")
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasPrefix("QueueStateMachine") && $0.hasSuffix(".swift") }.sorted()
        #expect(files.count >= 3, "found \(files)")
        let machine = files.map { Self.source("Sources/LogoutCore/Queue/" + $0) }.joined(separator: "\n")
        let dispatcher = Self.source("Sources/LogoutService/Dispatch/QueueDispatcher.swift")
        let entries = machine.matches(of: #/public (?:mutating )?func (\w+)/#).map { String($0.output.1) }
        #expect(entries.count >= 8, "the engine's entry points: \(entries)")
        for kind in kinds {
            for entry in entries {
                let specialized = try! Regex(
                    #"@_specialize\(\s*exported:\s*true,\s*where Kind == "# + kind
                        + #"[^)]*\)\s*(?:@_specialize\([^)]*\)\s*)*public (?:mutating )?func "#
                        + entry + #"\b"#
                )
                let isSpecialized = machine.contains(specialized)
                #expect(isSpecialized, "QueueStateMachine.\(entry) is not specialized for \(kind)")
            }
            let run = try! Regex(
                #"@_specialize\(\s*where Kind == "# + kind + #"\)\s*(?:@_specialize\([^)]*\)\s*)*func run\(\)"#
            )
            let runIsSpecialized = dispatcher.contains(run)
            #expect(runIsSpecialized, "QueueDispatcher.run() is not specialized for \(kind)")
        }
    }
}
