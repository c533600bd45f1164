/// Where a sealed secret lives: its table, column and row (SEC-6).
///
/// The AES-GCM box binds this as associated data, so a sealed value copied into another row or
/// column (an RP's client secret pasted over an issuer's shared secret, say) fails to open
/// instead of being used where it does not belong. The names are the binding's frozen labels:
/// they read like the stores' tables and columns, but a store may rename those, never these.
public struct SealedField: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var table: String
    public var column: String
    /// The row's key: an issuer's name, an RP's client_id, a session's id.
    public var row: String

    public init(table: String, column: String, row: String) {
        self.table = table
        self.column = column
        self.row = row
    }

    public var associatedData: [UInt8] { Array("logoutd/\(table).\(column)/\(row)".utf8) }

    public var description: String { "\(table).\(column) of \(row)" }

    public static func issuerSharedSecret(_ name: String) -> SealedField {
        SealedField(table: "issuers", column: "shared_secret", row: name)
    }

    public static func issuerClientSecret(_ name: String) -> SealedField {
        SealedField(table: "issuers", column: "client_secret", row: name)
    }

    public static func relyingPartyClientSecret(_ clientID: String) -> SealedField {
        SealedField(table: "relying_parties", column: "client_secret", row: clientID)
    }

    public static func sessionToken(_ column: String, session id: Int64) -> SealedField {
        SealedField(table: "sessions", column: column, row: String(id))
    }

    /// The credential our own stream at an issuer's transmitter is managed and polled with.
    public static func upstreamToken(_ issuerName: String) -> SealedField {
        SealedField(table: "upstream_streams", column: "token", row: issuerName)
    }

    public static func streamAuthorization(_ streamID: String) -> SealedField {
        SealedField(table: "ssf_streams", column: "authorization_header", row: streamID)
    }
}
