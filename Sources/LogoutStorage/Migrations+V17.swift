extension Migrations {
    /// Deleting an event sets `ssf_events.event_id` to NULL in the rows that name it, and without
    /// an index SQLite finds those rows by reading the whole table, once per event deleted. The
    /// purge of events past the retention deletes thousands at a time: with 20,000 security
    /// events kept, 4,000 events took 6.1 s of the single writer's CPU instead of 0.03 s (issue
    /// 24, thirteenth slice). `ForeignKeyIndexTests` now holds every foreign key to an index.
    static let v17 = """
        CREATE INDEX ssf_events_by_event ON ssf_events(event_id);
        """
}
