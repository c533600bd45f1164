/// Durations as the configuration writes them: `500ms`, `5s`, `10m`, `1h`, `2d`, or a sum such
/// as `1h30m`. A bare number is refused: `10` could mean seconds or minutes.
public enum DurationParser {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    public static func parse(_ text: String) throws(Failure) -> Duration {
        let input = Array(text.utf8)
        guard !input.isEmpty else { throw Failure(description: "empty duration") }
        var index = 0
        var total = 0.0
        while index < input.count {
            let numberStart = index
            while index < input.count, (48...57).contains(input[index]) || input[index] == UInt8(ascii: ".") {
                index += 1
            }
            guard index > numberStart, let value = Double(String(decoding: input[numberStart..<index], as: UTF8.self))
            else {
                throw Failure(description: "invalid duration \"\(text)\": expected a number, as in 500ms, 5s, 10m, 1h")
            }
            let unitStart = index
            while index < input.count, (97...122).contains(input[index]) { index += 1 }
            let unit = String(decoding: input[unitStart..<index], as: UTF8.self)
            let scale: Double
            switch unit {
            case "ms": scale = 0.001
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            case "d": scale = 86_400
            default:
                throw Failure(description: "invalid duration \"\(text)\": unit must be ms, s, m, h or d")
            }
            total += value * scale
        }
        guard total.isFinite, total < 1e12 else { throw Failure(description: "invalid duration \"\(text)\"") }
        return .seconds(clamping: total)
    }
}
