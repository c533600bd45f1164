/// A column's value on its way from one store to another (`logoutd migrate-store`): the
/// embedded store's storage classes, which the receiving store converts to its column types.
public enum StoreValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// One table's rows, in column order.
public struct StoreTable: Sendable {
    public var name: String
    public var columns: [String]
    public var rows: [[StoreValue]]

    public init(name: String, columns: [String], rows: [[StoreValue]]) {
        self.name = name
        self.columns = columns
        self.rows = rows
    }
}
