import Foundation
import Testing

/// The conformance suite is only a promise if it calls every store method: this reads the store
/// protocols in `Sources/LogoutCore/Ports` and the suite's files, and fails for a protocol method
/// no conformance test calls on a store. A new port method needs a conformance test before it
/// merges.
///
/// The suite is every file of this target whose tests all run once per store kind
/// (`@Test(arguments: StoreKind.allCases)`): whatever such a file calls, it calls on both stores.
@Suite struct StoreConformanceCoverageTests {
    /// Port protocols the stores do not implement, and where each is tested instead.
    static let notStores: [String: String] = [
        "EndSessionHandling": "the browser use case, implemented by the service (BrowserRoutesTests)",
        "LogoutIntake": "the intake use case, implemented by the service (InboundConformanceTests)",
        "SecurityEventIntake": "SETs pushed to us, implemented by the intake service (SharedSignalsReceiverTests)",
        "FrontChannelIntake":
            "front-channel logouts, implemented by the intake service (FrontChannelIntakeEndToEndTests)",
        "StreamManagement":
            "SSF stream management, implemented by the service on the store (SharedSignalsStreamTests, on both stores)",
        "JWKSFetching": "the HTTP adapter fetching issuer keys (IssuerKeyCacheTests, GuardedHTTPClientsTests)",
        "SharedStore":
            "what replicas sharing PostgreSQL need (its store alone implements it): LISTEN/NOTIFY and the shared signing keys, across real replicas (ScaleOutEndToEndTests)",
    ]

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// One protocol requirement: `recordLogout(_:now:)` is `("recordLogout", ["_", "now"])`.
    struct Requirement: Hashable, CustomStringConvertible {
        var owner: String
        var name: String
        var labels: [String]

        var description: String { "\(owner).\(name)(\(labels.map { $0 + ":" }.joined()))" }

        /// A call of this method on a store (`f.store.name(…)`, `store.name { … }`), by its
        /// first argument label: an unlabeled first argument must not start with a label.
        var call: Regex<AnyRegexOutput> {
            let head = #"store\s*\.\s*"# + name + #"\s*"#
            let rest: String
            switch labels.first {
            case nil: rest = #"\(\s*\)"#
            case "_": rest = #"(?:\((?!\s*[A-Za-z_][A-Za-z0-9_]*\s*:)|\{)"#
            case let label?: rest = #"\(\s*"# + label + #"\s*:"#
            }
            return try! Regex(head + rest)
        }
    }

    // MARK: Reading Swift, as far as this check needs

    /// The text without comments: block comments, and `//` to the end of the line where it
    /// starts a line or follows white space (so `https://` in a string stays).
    static func strippingComments(_ text: String) -> String {
        ("\n" + text).replacing(#/\/\*[\s\S]*?\*\//#, with: "")
            .replacing(#/(\s)\/\/[^\n]*/#) { String($0.output.1) }
    }

    /// The balanced `open`…`close` group starting at `start` (which must be `open`): its inside.
    static func group(in text: Substring, at start: String.Index, open: Character, close: Character) -> Substring? {
        var depth = 0
        var index = start
        while index < text.endIndex {
            let character = text[index]
            if character == open { depth += 1 }
            if character == close {
                depth -= 1
                if depth == 0 { return text[text.index(after: start)..<index] }
            }
            index = text.index(after: index)
        }
        return nil
    }

    /// The requirements of every protocol declared in `source`, by protocol name.
    static func requirements(in source: String) -> [String: [Requirement]] {
        let text = Substring(strippingComments(source))
        var result: [String: [Requirement]] = [:]
        for match in text.matches(of: #/\bprotocol\s+([A-Za-z_][A-Za-z0-9_]*)[^{]*/#) {
            let name = String(match.output.1)
            guard match.range.upperBound < text.endIndex, text[match.range.upperBound] == "{",
                let body = group(in: text, at: match.range.upperBound, open: "{", close: "}")
            else { continue }
            var found: [Requirement] = []
            for function in body.matches(of: #/\bfunc\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?:<[^>]*>)?\s*\(/#) {
                let open = body.index(before: function.range.upperBound)
                guard let parameters = group(in: body, at: open, open: "(", close: ")") else { continue }
                found.append(
                    Requirement(owner: name, name: String(function.output.1), labels: labels(of: parameters))
                )
            }
            result[name] = found
        }
        return result
    }

    /// The argument labels of a parameter list: the first word of each top-level parameter.
    static func labels(of parameters: Substring) -> [String] {
        var labels: [String] = []
        var depth = 0
        var current = ""
        var previous: Character = " "
        for character in parameters {
            if "([<".contains(character) { depth += 1 }
            // The `>` of a function type's `->` closes nothing.
            if ")]".contains(character) || (character == ">" && previous != "-") { depth -= 1 }
            previous = character
            if character == "," && depth == 0 {
                labels.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        labels.append(current)
        return labels.compactMap { parameter in
            let name = parameter.split(separator: ":", maxSplits: 1).first ?? ""
            return name.split(whereSeparator: \.isWhitespace).first.map(String.init)
        }
    }

    /// The `@Test` attributes of a file, with their arguments.
    static func testAttributes(in text: String) -> [Substring] {
        let text = Substring(text)
        return text.matches(of: #/@Test\b/#).map { match in
            let after = match.range.upperBound
            if after < text.endIndex, text[after] == "(",
                let arguments = group(in: text, at: after, open: "(", close: ")")
            {
                return arguments
            }
            return ""
        }
    }

    static func text(_ url: URL) -> String { (try? String(contentsOf: url, encoding: .utf8)) ?? "" }

    static func swiftFiles(in folder: String) -> [URL] {
        let base = root.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []
        return names.filter { $0.hasSuffix(".swift") }.sorted().map { base.appendingPathComponent($0) }
    }

    /// The store protocols' requirements.
    static var storeRequirements: [Requirement] {
        swiftFiles(in: "Sources/LogoutCore/Ports").flatMap { file in
            requirements(in: text(file)).filter { notStores[$0.key] == nil }.flatMap(\.value)
        }
    }

    /// The conformance suite's files: tests in them all run on every store kind.
    static var suiteFiles: [URL] {
        swiftFiles(in: "Tests/LogoutStorageTests").filter { file in
            let attributes = testAttributes(in: strippingComments(text(file)))
            return !attributes.isEmpty && attributes.allSatisfy { $0.contains("StoreKind.allCases") }
        }
    }

    // MARK: The check

    @Test func everyStoreMethodIsCalledByTheConformanceSuite() {
        let requirements = Self.storeRequirements
        let files = Self.suiteFiles
        // A parser that finds nothing would pass: what it finds must look like our ports.
        #expect(requirements.count >= 30, "only \(requirements.count) store methods found in the ports")
        #expect(Set(requirements.map(\.owner)).count >= 5)
        #expect(files.map(\.lastPathComponent).contains("StoreConformanceTests.swift"))
        let suite = files.map { Self.strippingComments(Self.text($0)) }.joined(separator: "\n")
        let uncalled = requirements.filter { suite.firstMatch(of: $0.call) == nil }
        #expect(
            uncalled.isEmpty,
            "never called on a store by the conformance suite (\(files.map(\.lastPathComponent))): \(uncalled)"
        )
    }

    @Test func theProtocolsThatAreNotStoresExist() {
        let declared = Set(
            Self.swiftFiles(in: "Sources/LogoutCore/Ports").flatMap { Self.requirements(in: Self.text($0)).keys }
        )
        #expect(Set(Self.notStores.keys).subtracting(declared).isEmpty, "stale entries in notStores")
    }

    // MARK: The reader itself

    static let sample = """
        /// A protocol in a comment: protocol Fake { func fake(x: Int) }
        public protocol Sample: Sendable {
            /// func documented(y: Int)
            func record(_ logout: AcceptedLogout, now: Timestamp) async throws -> RecordedLogout
            func all() async throws -> [StoredIssuer]
            func event(id: Int64) async throws -> EventRecord?  // trailing // comment
            func bind(
                _ reseal: @escaping @Sendable (SealedField, [UInt8]) throws -> [UInt8]
            ) async throws -> Int?
            func claim(limit: Int, lease: Duration, now: Timestamp) async throws -> [ClaimedRevocation]
            func first(_ map: (Int) -> Int, b: Int)
        }

        extension Sample {
            public func helper(x: Int) {}
        }
        """

    @Test func readsEachRequirementsLabelsAndNoExtensionMethod() {
        let parsed = Self.requirements(in: Self.sample)
        #expect(Array(parsed.keys) == ["Sample"])
        #expect(
            parsed["Sample"]?.map(\.description) == [
                "Sample.record(_:now:)", "Sample.all()", "Sample.event(id:)", "Sample.bind(_:)",
                "Sample.claim(limit:lease:now:)", "Sample.first(_:b:)",
            ]
        )
    }

    @Test(
        arguments: [
            ("record", ["_", "now"], "try await f.store.record(f.logout(sub: \"u\"), now: f.now)", true),
            ("record", ["_", "now"], "try await f.store.record(logout: x, now: f.now)", false),
            ("record", ["_", "now"], "try await f.store.recordAll(x, now: f.now)", false),
            ("record", ["_", "now"], "try await database.record(x, now: f.now)", false),
            ("all", [], "#expect(try await store.all() == [])", true),
            ("all", [], "#expect(try await store.all(limit: 1) == [])", false),
            ("event", ["id"], "try await f.store.event(id: 7)", true),
            ("event", ["id"], "try await f.store.events(EventQuery())", false),
            ("bind", ["_"], "try await f.store.bind { _, sealed in sealed }", true),
            ("bind", ["_"], "try await f.store.bind({ _, sealed in sealed })", true),
            ("first", ["_", "b"], "try await f.store.first({ x -> Int in x }, b: 1)", true),
        ] as [(String, [String], String, Bool)]
    )
    func recognisesACallOnAStore(name: String, labels: [String], code: String, isCall: Bool) {
        let requirement = Requirement(owner: "Sample", name: name, labels: labels)
        #expect((code.firstMatch(of: requirement.call) != nil) == isCall, "\(code)")
    }
}
