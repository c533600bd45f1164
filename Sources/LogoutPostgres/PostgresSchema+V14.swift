extension PostgresSchema {
    /// As the embedded store's v14: `deliveries_next`, which no query reads, is dropped (every
    /// delivery queued, claimed and finished kept it up to date). The embedded store also writes
    /// its CHECK lists as comparisons, which SQLite evaluates without a temporary table per
    /// statement; PostgreSQL's lists cost nothing, and they stay.
    static let v14 = """
        DROP INDEX IF EXISTS deliveries_next;
        """
}
