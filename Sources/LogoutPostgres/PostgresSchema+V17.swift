extension PostgresSchema {
    /// As the embedded store's v17: deleting an event sets `ssf_events.event_id` to NULL in the
    /// rows that name it, and PostgreSQL, like SQLite, finds them by reading the whole table
    /// unless an index leads with the column (it creates none for a foreign key itself). Built
    /// in the migration's transaction (`CREATE INDEX CONCURRENTLY` cannot run in one), it holds
    /// writes to `ssf_events` while it builds, on every replica: the SSF queue waits, logouts
    /// and deliveries do not touch the table.
    static let v17 = """
        CREATE INDEX ssf_events_by_event ON ssf_events(event_id);
        """
}
