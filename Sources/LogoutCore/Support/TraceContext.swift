/// A logout's W3C trace context (`traceparent` and `tracestate`), kept with its event and its
/// deliveries so that an attempt hours later, after a restart or on another replica, continues the
/// trace the intake began (TRACE-1).
///
/// Only well-formed values are kept: the store holds what a request sent, and a malformed header
/// must neither reach an RP nor make a delivery unreadable.
///
/// A class, immutable: every claimed delivery carries one through the queue engine's async
/// frames, where a reference costs one word instead of two strings' four.
public final class TraceContext: Sendable, Equatable {
    public let traceparent: String
    public let tracestate: String?

    /// The W3C limit a vendor must propagate at least; longer lists are cut, not refused.
    public static let tracestateLimit = 512

    /// Nil when `traceparent` is not a version-00 header with non-zero ids (W3C Trace Context
    /// section 3.2). A future version is read by its first four fields, as the spec asks.
    public init?(traceparent: String, tracestate: String? = nil) {
        let fields = traceparent.split(separator: "-", omittingEmptySubsequences: false)
        guard fields.count >= 4,
            fields[0].count == 2, fields[1].count == 32, fields[2].count == 16, fields[3].count == 2,
            fields.prefix(4).allSatisfy({ $0.utf8.allSatisfy(Self.isLowerHex) }),
            fields[0] != "ff", fields[0] == "00" ? fields.count == 4 : true,
            fields[1].contains(where: { $0 != "0" }), fields[2].contains(where: { $0 != "0" })
        else { return nil }
        self.traceparent = fields.prefix(4).joined(separator: "-")
        self.tracestate = tracestate.flatMap(Self.bounded)
    }

    /// The trace id: what a tracing UI finds the logout's trace by.
    public var traceID: String {
        String(traceparent.dropFirst(3).prefix(32))
    }

    /// The id of the span this context names as parent.
    public var spanID: String {
        String(traceparent.dropFirst(36).prefix(16))
    }

    /// One column's worth: the `traceparent`, then the `tracestate` after a space (a
    /// `traceparent` has none).
    public var stored: String {
        tracestate.map { traceparent + " " + $0 } ?? traceparent
    }

    public static func == (lhs: TraceContext, rhs: TraceContext) -> Bool {
        lhs.traceparent == rhs.traceparent && lhs.tracestate == rhs.tracestate
    }

    /// Reads what `stored` wrote; nil for anything else.
    public convenience init?(stored: String) {
        guard let space = stored.firstIndex(of: " ") else {
            self.init(traceparent: stored)
            return
        }
        self.init(traceparent: String(stored[..<space]), tracestate: String(stored[stored.index(after: space)...]))
    }

    /// The headers that carry it, `tracestate` only when there is one.
    public var headers: [(name: String, value: String)] {
        [("traceparent", traceparent)] + (tracestate.map { [("tracestate", $0)] } ?? [])
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte)
    }

    /// Printable ASCII only, trimmed and cut at a list member's boundary below the limit; nil if
    /// nothing is left.
    private static func bounded(_ value: String) -> String? {
        guard value.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
        var kept = ""
        for member in value.split(separator: ",") {
            let trimmed = member.trimmingSpaces
            guard !trimmed.isEmpty else { continue }
            let next = kept.isEmpty ? trimmed : kept + "," + trimmed
            guard next.utf8.count <= tracestateLimit else { break }
            kept = next
        }
        return kept.isEmpty ? nil : kept
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
