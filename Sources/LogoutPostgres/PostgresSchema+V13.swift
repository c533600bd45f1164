extension PostgresSchema {
    /// As the embedded store's v13: the trace context of each event and delivery, and each
    /// attempt's trace id.
    static let v13 = """
        ALTER TABLE events ADD COLUMN trace_context TEXT;
        ALTER TABLE deliveries ADD COLUMN trace_context TEXT;
        ALTER TABLE attempts ADD COLUMN trace_id TEXT;
        """
}
