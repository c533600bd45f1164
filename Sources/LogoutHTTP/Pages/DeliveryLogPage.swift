import Foundation
import LogoutAdminAPI
import LogoutCore

/// Builds the delivery log page from the admin operations, the same ones the JSON API and the
/// CLI use: recent events with their deliveries and attempt history, filtered, and the chart.
struct DeliveryLogPage: Sendable {
    let operations: any AdminOperations
    /// A trace id's page in the tracing UI (`tracing.ui_url`), when there is one.
    var traceLink: @Sendable (String) -> String? = { _ in nil }
    static let eventsPerPage = 25

    func view(
        _ filters: PageFilters,
        csrf: String,
        notice: String?,
        error: String?,
        now: Timestamp
    ) async throws -> PageView {
        async let activity = operations.deliveryActivity()
        async let rps = operations.relyingParties()
        async let issuers = operations.issuers()
        let (events, deliveriesByEvent, hidden) = try await load(filters)
        let ssf = try await SharedSignalsSection.load(operations, issuers: try await issuers, now: now)
        var eventViews: [EventView] = []
        for event in events {
            var deliveries: [DeliveryView] = []
            for delivery in deliveriesByEvent[event.id] ?? [] {
                // The attempt history: only deliveries that made attempts have one to show.
                let detailed = delivery.attempts > 0 ? (try? await operations.delivery(id: delivery.id)) : nil
                deliveries.append(Self.view(detailed ?? delivery, now: now, traceLink: traceLink))
            }
            var eventView = Self.view(event, deliveries: deliveries, hidden: hidden[event.id] ?? 0, now: now)
            if event.outcome == .accepted {
                eventView.revocations = try await operations.revocations(RevocationQuery(eventID: event.id))
                    .revocations.reversed().map { Self.view($0, now: now) }
            }
            eventViews.append(eventView)
        }
        let oldest = events.last?.id
        var older = filters
        older.before = oldest
        return PageView(
            filters: FiltersView(
                statuses: DeliveryStatus.allCases.map {
                    OptionView(value: $0.rawValue, label: $0.rawValue, selected: filters.status == $0)
                },
                rps: try await rps.rps.map {
                    OptionView(value: $0.clientID, label: $0.clientID, selected: filters.clientID == $0.clientID)
                },
                issuers: try await issuers.issuers.map {
                    OptionView(value: $0.name, label: $0.name, selected: filters.issuer == $0.name)
                },
                sub: filters.sub ?? "",
                isFiltered: filters.isFiltered
            ),
            notice: notice,
            error: error,
            chart: ChartView(try await activity),
            ssf: ssf,
            events: eventViews,
            noEvents: eventViews.isEmpty,
            olderLink: events.count >= Self.eventsPerPage && oldest != nil ? "/admin/" + older.queryString : nil,
            csrf: csrf,
            back: filters.queryString,
            generatedAt: now.rfc3339
        )
    }

    /// Events, newest first, and the deliveries to show under each. A delivery filter (status,
    /// RP) starts from the deliveries; otherwise from the events.
    func load(_ filters: PageFilters) async throws -> ([EventResource], [Int64: [DeliveryResource]], [Int64: Int]) {
        if filters.status != nil || filters.clientID != nil {
            let matching = try await operations.deliveries(
                DeliveryQuery(status: filters.status, clientID: filters.clientID, limit: 500)
            ).deliveries.filter { delivery in filters.before.map { delivery.eventID < $0 } ?? true }
            var order: [Int64] = []
            var grouped: [Int64: [DeliveryResource]] = [:]
            for delivery in matching {
                if grouped[delivery.eventID] == nil { order.append(delivery.eventID) }
                grouped[delivery.eventID, default: []].append(delivery)
            }
            var events: [EventResource] = []
            var hidden: [Int64: Int] = [:]
            for id in order where events.count < Self.eventsPerPage {
                guard let event = try? await operations.event(id: id), Self.matches(event, filters) else { continue }
                events.append(event)
                hidden[id] = max(0, event.deliveries - (grouped[id]?.count ?? 0))
            }
            return (events, grouped, hidden)
        }
        let events = try await operations.events(
            EventQuery(issuer: filters.issuer, sub: filters.sub, limit: Self.eventsPerPage, beforeID: filters.before)
        ).events
        var grouped: [Int64: [DeliveryResource]] = [:]
        for event in events where event.deliveries > 0 {
            grouped[event.id] = try await operations.deliveries(DeliveryQuery(eventID: event.id, limit: 1000))
                .deliveries
        }
        return (events, grouped, [:])
    }

    static func matches(_ event: EventResource, _ filters: PageFilters) -> Bool {
        if let issuer = filters.issuer, event.source != issuer && event.iss != issuer { return false }
        if let sub = filters.sub, event.sub != sub { return false }
        return true
    }

    static func view(_ event: EventResource, deliveries: [DeliveryView], hidden: Int, now: Timestamp) -> EventView {
        EventView(
            id: String(event.id),
            received: RelativeTime.describe(event.receivedAt, now: now),
            receivedExact: event.receivedAt.rfc3339,
            source: event.source,
            iss: event.iss ?? "—",
            sub: event.sub ?? "—",
            // FC-3: a front-channel sid ends sessions by itself: the page does not show it.
            sid: event.source == FrontChannelNotice.source ? (event.sid == nil ? "—" : "hidden") : (event.sid ?? "—"),
            outcome: event.outcome.rawValue,
            outcomeClass: event.outcome == .accepted ? "ok" : (event.outcome == .rejected ? "bad" : "warn"),
            reason: event.reason,
            deliveries: deliveries,
            hasDeliveries: !deliveries.isEmpty,
            hiddenDeliveries: hidden > 0 ? "\(hidden) more deliveries of this event do not match the filter" : nil
        )
    }

    static func view(_ revocation: RevocationResource, now: Timestamp) -> RevocationView {
        let statusClass: String
        var when = "—"
        switch revocation.status {
        case .revoked:
            statusClass = "ok"
            when = "revoked " + RelativeTime.describe(revocation.finishedAt, now: now)
        case .failed: statusClass = "bad"
        case .retrying:
            statusClass = "warn"
            when = RelativeTime.describe(revocation.nextAttemptAt, now: now)
        case .pending:
            statusClass = "idle"
            when = RelativeTime.describe(revocation.nextAttemptAt, now: now)
        }
        return RevocationView(
            id: String(revocation.id),
            issuer: revocation.issuer,
            tokenType: revocation.tokenTypeHint.rawValue,
            session: String(revocation.sessionID),
            status: revocation.status.rawValue,
            statusClass: statusClass,
            attempts: String(revocation.attempts),
            lastStatus: revocation.lastStatusCode.map(String.init) ?? "—",
            detail: revocation.reason ?? revocation.lastError ?? "",
            when: when,
            canRetry: revocation.status == .failed
        )
    }

    static func view(
        _ delivery: DeliveryResource,
        now: Timestamp,
        traceLink: (String) -> String? = { _ in nil }
    ) -> DeliveryView {
        let inFlight = delivery.inFlightSince != nil
        let status = inFlight ? "in flight" : delivery.status.rawValue
        let statusClass: String
        switch delivery.status {
        case .delivered: statusClass = "ok"
        case .failed: statusClass = "bad"
        case .retrying: statusClass = "warn"
        case .pending: statusClass = inFlight ? "warn" : "idle"
        case .skipped: statusClass = "idle"
        }
        var next = "—"
        if let since = delivery.inFlightSince {
            next =
                "attempt \(delivery.inFlightAttempt ?? delivery.attempts + 1) since \(RelativeTime.describe(since, now: now))"
        } else if let at = delivery.nextAttemptAt {
            next = RelativeTime.describe(at, now: now)
        } else if let at = delivery.deliveredAt {
            next = "delivered " + RelativeTime.describe(at, now: now)
        }
        let log = (delivery.attemptLog ?? []).map { attempt in
            AttemptView(
                number: String(attempt.attempt),
                started: attempt.startedAt.rfc3339,
                duration: "\(attempt.durationMilliseconds) ms",
                status: attempt.statusCode.map(String.init) ?? "—",
                errorClass: attempt.errorClass?.rawValue
                    ?? (attempt.statusCode.map { (200..<300).contains($0) } == true ? "success" : "—"),
                rpError: attempt.rpError ?? "",
                address: attempt.remoteAddress ?? "—",
                trace: attempt.traceID ?? "—",
                traceURL: attempt.traceID.flatMap(traceLink)
            )
        }
        return DeliveryView(
            id: String(delivery.id),
            clientID: delivery.clientID,
            status: status,
            statusClass: statusClass,
            attempts: String(delivery.attempts),
            lastStatus: delivery.lastStatusCode.map(String.init) ?? "—",
            detail: delivery.reason ?? delivery.lastError ?? "",
            next: next,
            canRetry: delivery.status == .failed || delivery.status == .skipped,
            attemptLog: log,
            hasAttempts: !log.isEmpty
        )
    }
}

extension ChartView {
    init(_ activity: DeliveryActivity) {
        let chart = ActivityChart(activity) { instant in
            let text = instant.rfc3339  // 2026-12-02T21:37:00.000Z
            let time = text.split(separator: "T").last.map { String($0.prefix(5)) } ?? text
            return time
        }
        width = chart.width
        height = chart.height
        left = chart.left
        right = chart.width
        baseline = chart.baseline
        labelY = chart.height - 4
        bars = chart.bars.map {
            Rect(x: $0.x, y: $0.y, width: $0.width, height: $0.height, series: $0.series.rawValue, title: $0.title)
        }
        grid = chart.grid.map { Line(y: $0.position, textY: $0.position + 4, label: $0.text) }
        times = chart.times.map { Tick(x: $0.position, label: $0.text) }
        totals = DeliveryActivity.Series.allCases.map {
            Total(series: $0.rawValue, count: String(chart.totals[$0] ?? 0))
        }
        summary =
            "Deliveries in the last hour, per minute: "
            + DeliveryActivity.Series.allCases.map { "\(chart.totals[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
    }
}
