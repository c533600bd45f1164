import Foundation

#if LOGOUTD_LIBFUZZER
    import CFuzzerDriver
#endif

/// Two ways to run `FuzzTarget`:
/// - built with `-Xswiftc -sanitize=fuzzer -Xswiftc -DLOGOUTD_LIBFUZZER` (scripts/fuzz): libFuzzer,
///   coverage-guided, with its own command line (`logoutd-fuzz CORPUS -max_total_time=60`);
/// - built normally: a seeded random harness that mutates the seed corpus (bit flips, byte
///   insertions and deletions, splices, interesting bytes) with a generator seeded from the
///   command line, so any failure is reproducible: `logoutd-fuzz CORPUS [--runs N] [--seed S]`.
@main
struct FuzzMain {
    static func main() throws {
        #if LOGOUTD_LIBFUZZER
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            exit(
                LLVMFuzzerRunDriver(&argc, &argv) { data, size in
                    FuzzTarget.run(Array(UnsafeBufferPointer(start: data, count: size)))
                    return 0
                }
            )
        #else
            try RandomHarness.main(Array(CommandLine.arguments.dropFirst()))
        #endif
    }
}

enum RandomHarness {
    static func main(_ arguments: [String]) throws {
        var arguments = arguments[...]
        guard let corpus = arguments.popFirst() else {
            print("usage: logoutd-fuzz CORPUS_DIR [--runs N] [--seed S]")
            exit(2)
        }
        var runs = 100_000
        var seed: UInt64 = 1
        while let flag = arguments.popFirst() {
            switch flag {
            case "--runs": runs = Int(arguments.popFirst() ?? "") ?? runs
            case "--seed": seed = UInt64(arguments.popFirst() ?? "") ?? seed
            default: break
            }
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: corpus).sorted()
        let seeds = names.compactMap { FileManager.default.contents(atPath: corpus + "/" + $0).map { [UInt8]($0) } }
        guard !seeds.isEmpty else {
            print("no seeds in \(corpus)")
            exit(2)
        }
        var generator = SplitMix64(seed: seed)
        for input in seeds { FuzzTarget.run(input) }
        for _ in 0..<runs {
            var input = seeds[Int(generator.next() % UInt64(seeds.count))]
            for _ in 0...(generator.next() % 8) { Mutator.mutate(&input, seeds: seeds, using: &generator) }
            FuzzTarget.run(input)
        }
        print("ran \(runs + seeds.count) inputs from \(seeds.count) seeds (seed \(seed)), no failure")
    }
}

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Mutator {
    static let interesting: [UInt8] = Array(".=&%+-_\"\\{}[]:,0u\u{0}\n ".utf8) + [0xFF, 0xC3, 0x80]

    static func mutate(_ input: inout [UInt8], seeds: [[UInt8]], using generator: inout SplitMix64) {
        let position = input.isEmpty ? 0 : Int(generator.next() % UInt64(input.count))
        switch generator.next() % 6 {
        case 0 where !input.isEmpty:
            input[position] ^= UInt8(1 << (generator.next() % 8))
        case 1:
            input.insert(interesting[Int(generator.next() % UInt64(interesting.count))], at: position)
        case 2 where !input.isEmpty:
            input.remove(at: position)
        case 3:
            let other = seeds[Int(generator.next() % UInt64(seeds.count))]
            let cut = other.isEmpty ? 0 : Int(generator.next() % UInt64(other.count))
            input = Array(input[..<position]) + Array(other[cut...])
        case 4 where !input.isEmpty:
            let length = min(input.count - position, Int(generator.next() % 16))
            input.insert(contentsOf: input[position..<(position + length)], at: position)
        default:
            input.append(interesting[Int(generator.next() % UInt64(interesting.count))])
        }
    }
}
