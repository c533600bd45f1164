/// The stores a test can run against: the embedded SQLite file always, the shared PostgreSQL
/// store where a server is there (`TestPostgres`), or required (`LOGOUTD_TEST_REQUIRE_POSTGRES=1`).
public enum StoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    public static var allCases: [StoreKind] { TestPostgres.isAvailable ? [.sqlite, .postgres] : [.sqlite] }

    public var description: String { rawValue }
}
