/// What the templates render: every value already a string in the reader's terms, every choice
/// already made, so the templates stay logic-less and everything they print is escaped.
struct PageView {
    var title = "delivery log"
    var filters: FiltersView
    var notice: String?
    var error: String?
    var chart: ChartView
    var ssf: SharedSignalsSection
    var events: [EventView]
    var noEvents: Bool
    var olderLink: String?
    var csrf: String
    var back: String
    var generatedAt: String
}

struct OptionView {
    var value: String
    var label: String
    var selected: Bool
}

struct FiltersView {
    var statuses: [OptionView]
    var rps: [OptionView]
    var issuers: [OptionView]
    var sub: String
    var isFiltered: Bool
}

struct EventView {
    var id: String
    var received: String
    var receivedExact: String
    /// The issuer's name for a back-channel logout, `admin` or `end-session` for the others.
    var source: String
    var iss: String
    var sub: String
    var sid: String
    var outcome: String
    var outcomeClass: String
    var reason: String?
    var deliveries: [DeliveryView]
    var hasDeliveries: Bool
    var hiddenDeliveries: String?
    /// Stored, not computed: the templates read values by reflection, which sees no computed property.
    var revocations: [RevocationView] = [] {
        didSet { hasRevocations = !revocations.isEmpty }
    }
    var hasRevocations = false
}

/// One upstream token revocation of an event (BR-8).
struct RevocationView {
    var id: String
    var issuer: String
    var tokenType: String
    var session: String
    var status: String
    var statusClass: String
    var attempts: String
    var lastStatus: String
    var detail: String
    var when: String
    var canRetry: Bool
}

struct DeliveryView {
    var id: String
    var clientID: String
    var status: String
    var statusClass: String
    var attempts: String
    var lastStatus: String
    var detail: String
    var next: String
    var canRetry: Bool
    var attemptLog: [AttemptView]
    var hasAttempts: Bool
}

struct AttemptView {
    var number: String
    var started: String
    var duration: String
    var status: String
    var errorClass: String
    var rpError: String
    var address: String
    var trace: String
    var traceURL: String?
}

struct ChartView {
    struct Rect {
        var x: Int
        var y: Int
        var width: Int
        var height: Int
        var series: String
        var title: String
    }
    struct Line {
        var y: Int
        var textY: Int
        var label: String
    }
    struct Tick {
        var x: Int
        var label: String
    }
    struct Total {
        var series: String
        var count: String
    }
    var width: Int
    var height: Int
    var left: Int
    var right: Int
    var baseline: Int
    var labelY: Int
    var bars: [Rect]
    var grid: [Line]
    var times: [Tick]
    var totals: [Total]
    var summary: String
}
