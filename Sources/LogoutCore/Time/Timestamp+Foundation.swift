import Foundation

/// The edges where instants meet people: RFC 3339 in the admin API and the CLI, file times.
extension Timestamp {
    public init(_ date: Date) {
        self.init(secondsSince1970: date.timeIntervalSince1970)
    }

    public var date: Date { Date(timeIntervalSince1970: secondsSince1970) }

    /// `2026-01-31T12:00:00.123Z`.
    public var rfc3339: String {
        date.formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)
        )
    }

    /// RFC 3339 with or without fractional seconds.
    public init?(rfc3339 text: String) {
        if let date = try? Date(text, strategy: .iso8601) {
            self.init(date)
        } else if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            self.init(date)
        } else {
            return nil
        }
    }
}

/// In JSON an instant is an RFC 3339 string (contract C4: "Times are RFC 3339 UTC").
extension Timestamp: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Timestamp(rfc3339: text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "expected an RFC 3339 time such as 2026-01-31T12:00:00Z"
            )
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339)
    }
}
