import Foundation
import Testing

/// docs/rules.md is the repository's statement of the rules it implements: every rule id cited in
/// code, tests or docs must be there, and every test it names must exist.
@Suite struct RulesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static var idPattern: Regex<Substring> { #/\b(?:IN|RES|OUT|DEL|Q|ADM|SEC|BR|SSF|FC|TRACE)-[0-9]+\b/# }

    static func files(under folder: String, extensions: Set<String>) -> [URL] {
        let base = root.appendingPathComponent(folder)
        guard let enumerator = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else {
            return []
        }
        return enumerator.compactMap { $0 as? URL }.filter { extensions.contains($0.pathExtension) }
    }

    static func text(_ url: URL) -> String { (try? String(contentsOf: url, encoding: .utf8)) ?? "" }

    static var rules: String { text(root.appendingPathComponent("docs/rules.md")) }

    /// The ids the rules page defines: the first cell of its table rows.
    static var definedIDs: Set<String> {
        Set(
            rules.split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("| ") else { return nil }
                let cell = line.dropFirst(2).prefix { $0 != " " && $0 != "|" }
                return cell.wholeMatch(of: idPattern) != nil ? String(cell) : nil
            }
        )
    }

    @Test func everyCitedRuleIsDefined() {
        let defined = Self.definedIDs
        #expect(defined.count >= 45, "docs/rules.md defines only \(defined.count) rules")
        var cited: [String: Set<String>] = [:]
        let sources =
            Self.files(under: "Sources", extensions: ["swift"])
            + Self.files(under: "Tests", extensions: ["swift", "py"])
            + Self.files(under: "docs", extensions: ["md"]) + [Self.root.appendingPathComponent("README.md")]
        for file in sources {
            for match in Self.text(file).matches(of: Self.idPattern) {
                cited[String(match.output), default: []].insert(file.lastPathComponent)
            }
        }
        let missing = cited.keys.filter { !defined.contains($0) }.sorted()
        #expect(
            missing.isEmpty,
            "cited but not in docs/rules.md: \(missing.map { "\($0) (\(cited[$0]!.sorted().joined(separator: ", ")))" })"
        )
    }

    /// The rules are decided above the stores (`IntakePlanner`, `BreakerUpdate`, `ClaimPlanner`,
    /// the queue engine): a store file holds SQL and row mapping, and cites no rule. Frozen
    /// migrations keep what they shipped with.
    @Test func storeFilesCiteNoRule() {
        var citing: [String] = []
        for folder in ["Sources/LogoutStorage", "Sources/LogoutPostgres"] {
            for file in Self.files(under: folder, extensions: ["swift"]) {
                let name = file.lastPathComponent
                guard !name.hasPrefix("Migrations"), name != "PostgresSchema.swift" else { continue }
                if Self.text(file).contains(Self.idPattern) { citing.append(name) }
            }
        }
        #expect(citing.isEmpty, "store files that cite a rule (decide it above the store instead): \(citing)")
    }

    @Test func everyTestTheRulesNameExists() {
        let tests = Self.files(under: "Tests", extensions: ["swift"]).map(Self.text).joined(separator: "\n")
        var missing: [String] = []
        for match in Self.rules.matches(of: #/`([A-Z][A-Za-z]+Tests)(?:/([a-zA-Z]+))?`/#) {
            let (suite, test) = (String(match.output.1), match.output.2.map(String.init))
            if !tests.contains("struct \(suite)") { missing.append(suite) }
            if let test, !tests.contains("func \(test)(") { missing.append("\(suite)/\(test)") }
        }
        #expect(missing.isEmpty, "docs/rules.md names tests that do not exist: \(missing)")
    }
}
