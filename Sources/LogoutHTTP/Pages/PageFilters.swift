import Foundation
import LogoutCore

/// What the delivery log page shows: its query string, parsed, and written back for links and
/// redirects (so a redirect never carries anything but these fields).
struct PageFilters: Sendable, Equatable {
    var status: DeliveryStatus?
    var clientID: String?
    var issuer: String?
    var sub: String?
    /// Events older than this id (the "older" link).
    var before: Int64?

    init(
        status: DeliveryStatus? = nil,
        clientID: String? = nil,
        issuer: String? = nil,
        sub: String? = nil,
        before: Int64? = nil
    ) {
        self.status = status
        self.clientID = clientID
        self.issuer = issuer
        self.sub = sub
        self.before = before
    }

    /// Unknown or empty values are ignored: a filter form always submits every field.
    init(query: [String: String]) {
        func text(_ name: String) -> String? {
            guard let value = query[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return String(value.prefix(256))
        }
        status = text("status").flatMap(DeliveryStatus.init(rawValue:))
        clientID = text("client_id")
        issuer = text("issuer")
        sub = text("sub")
        before = text("before").flatMap { Int64($0) }
    }

    /// `?status=failed&client_id=shop`, or `""` when there is no filter.
    var queryString: String {
        let items: [(String, String?)] = [
            ("status", status?.rawValue), ("client_id", clientID), ("issuer", issuer), ("sub", sub),
            ("before", before.map(String.init)),
        ]
        let encoded = items.compactMap { name, value in
            value.map { name + "=" + FormEncoding.encode($0) }
        }
        return encoded.isEmpty ? "" : "?" + encoded.joined(separator: "&")
    }

    var isFiltered: Bool { status != nil || clientID != nil || issuer != nil || sub != nil }
}
