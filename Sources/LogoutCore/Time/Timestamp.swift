/// A wall-clock instant as logoutd stores and compares it: whole milliseconds since 1970 UTC.
///
/// One type for every stored instant (received, created, due, delivered), so nothing converts
/// between `Date`, seconds and milliseconds on the way. Spans are Swift's `Duration`; timers use
/// `ContinuousClock`, because a wall clock can step. `Date` appears only where an instant is
/// formatted for people or parsed from them. Arithmetic saturates: no input can make it trap.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var millisecondsSince1970: Int64

    public init(millisecondsSince1970: Int64) {
        self.millisecondsSince1970 = millisecondsSince1970
    }

    /// From seconds (a JWT NumericDate, say), clamped to what milliseconds can hold.
    public init(secondsSince1970 seconds: Double) {
        let milliseconds = (seconds * 1000).rounded()
        guard milliseconds.isFinite else {
            self.init(millisecondsSince1970: milliseconds > 0 ? Self.limit : -Self.limit)
            return
        }
        self.init(millisecondsSince1970: Int64(max(-Double(Self.limit), min(Double(Self.limit), milliseconds))))
    }

    /// Far enough for any real instant, small enough that adding a duration cannot overflow.
    static let limit: Int64 = Int64.max / 4

    public static let distantPast = Timestamp(millisecondsSince1970: 0)

    public var secondsSince1970: Double { Double(millisecondsSince1970) / 1000 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSince1970 < rhs.millisecondsSince1970
    }

    public static func + (lhs: Timestamp, rhs: Duration) -> Timestamp {
        let (sum, overflow) = lhs.millisecondsSince1970.addingReportingOverflow(rhs.wholeMilliseconds)
        return Timestamp(
            millisecondsSince1970: overflow ? (rhs > .zero ? limit : -limit) : max(-limit, min(limit, sum))
        )
    }

    public static func - (lhs: Timestamp, rhs: Duration) -> Timestamp {
        lhs + (.zero - rhs)
    }

    /// The span from `self` to `other` (negative when `other` is earlier).
    public func duration(to other: Timestamp) -> Duration {
        .milliseconds(other.millisecondsSince1970 &- millisecondsSince1970)
    }

    public var description: String { "\(millisecondsSince1970) ms" }
}

extension Duration {
    /// Whole milliseconds, rounded towards zero and clamped: what storage keeps of a span.
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (fromSeconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds > 0 ? Int64.max / 4 : -(Int64.max / 4) }
        return fromSeconds + attoseconds / 1_000_000_000_000_000
    }

    /// Seconds as a floating-point number, for messages and ratios.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// From seconds, clamped: a configuration or a `Retry-After` value cannot make it trap.
    public static func seconds(clamping value: Double) -> Duration {
        guard value.isFinite else { return value > 0 ? .seconds(Int64.max / 4_000) : .zero }
        return .milliseconds(Int64(max(-9.0e15, min(9.0e15, (value * 1000).rounded()))))
    }
}

/// `90 s` → `1m30s`, for messages.
public func formatDuration(_ duration: Duration) -> String {
    var remaining = Int64(duration.seconds.rounded())
    if remaining == 0 {
        let milliseconds = duration.wholeMilliseconds
        return milliseconds == 0 ? "0s" : "\(milliseconds)ms"
    }
    var text = ""
    for (unit, size) in [("d", Int64(86_400)), ("h", 3600), ("m", 60), ("s", 1)] where remaining >= size {
        text += "\(remaining / size)\(unit)"
        remaining %= size
    }
    return text
}
