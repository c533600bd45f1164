extension Migrations {
    /// Traces (`tracing:`): the W3C trace context of the intake, kept with its event and each
    /// delivery (so an attempt after a restart continues the trace), and each attempt's trace id.
    /// Null while tracing is off.
    static let v13 = """
        ALTER TABLE events ADD COLUMN trace_context TEXT;
        ALTER TABLE deliveries ADD COLUMN trace_context TEXT;
        ALTER TABLE attempts ADD COLUMN trace_id TEXT;
        """
}
