extension PostgresSchema {
    /// The embedded store's v14 writes its CHECK lists as comparisons, which SQLite evaluates
    /// without a temporary table per statement; PostgreSQL's lists cost nothing, and the schema
    /// is the same. Recorded so that both stores name their schema alike.
    static let v14 = """
        SELECT 1;
        """
}
