extension Migrations {
    /// An accepted logout's deliveries, as one row in its acknowledgement's transaction and made
    /// into delivery rows after it (`LogoutDatabase+FanOutPlans`). With 25 RPs, writing their
    /// 25 rows and 4 index entries each was three quarters of the acknowledgement's transaction
    /// (callgrind, issue 24), and the writer is one thread: every logout waited behind the others'
    /// rows. The plan is as durable as they were (the same fsync'd commit); its rows are queue
    /// work, committed without the fsync. `problem` keeps a plan that cannot be read aside, with
    /// why, for an admin: it stops nothing else.
    static let v16 = """
        CREATE TABLE pending_fanouts (
            event_id INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
            created_at INTEGER NOT NULL,
            plan TEXT NOT NULL,
            problem TEXT
        );
        """
}
