extension PostgresSchema {
    /// The embedded store's v14 writes its CHECK lists as comparisons, which SQLite evaluates
    /// without a temporary table per statement, and drops `deliveries_next`, which no query
    /// reads. PostgreSQL's lists cost nothing; its copy of the index stays for now: dropping it
    /// here takes a lock on `deliveries` that replicas of the previous version, still running
    /// in a rolling upgrade, would queue behind (`DROP INDEX CONCURRENTLY` cannot run inside
    /// this migration's transaction). Recorded so that both stores name their schema alike.
    static let v14 = """
        SELECT 1;
        """
}
