import LogoutCore

/// "3m ago", "in 20s": how far an instant is from now, for people reading a table or
/// the delivery log page.
public enum RelativeTime {
    public static func describe(_ instant: Timestamp?, now: Timestamp) -> String {
        guard let instant else { return "-" }
        let span = now.duration(to: instant)
        if span.seconds.magnitude < 1 { return "now" }
        let rounded = Self.coarse(span < .zero ? .zero - span : span)
        return span < .zero ? rounded + " ago" : "in " + rounded
    }

    /// The largest unit, or two for hours and days: "45s", "3m", "2h5m", "3d4h".
    public static func coarse(_ span: Duration) -> String {
        let seconds = Int64(span.seconds.rounded(.down))
        switch seconds {
        case ..<60: return "\(seconds)s"
        case ..<3600: return "\(seconds / 60)m"
        case ..<86_400: return "\(seconds / 3600)h\(seconds % 3600 / 60 > 0 ? "\(seconds % 3600 / 60)m" : "")"
        default: return "\(seconds / 86_400)d\(seconds % 86_400 / 3600 > 0 ? "\(seconds % 86_400 / 3600)h" : "")"
        }
    }
}
