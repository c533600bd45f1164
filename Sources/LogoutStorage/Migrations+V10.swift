extension Migrations {
    /// Shared Signals (SSF §8): receivers the admin registered (only their token's hash), the
    /// streams they create and the subjects removed from them (a stream carries every person
    /// unless removed). A stream's configuration is JSON text
    /// the core writes and reads; its push credential is sealed.
    static let v10 = """
        CREATE TABLE ssf_receivers (
            name TEXT PRIMARY KEY NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE ssf_streams (
            id TEXT PRIMARY KEY NOT NULL,
            receiver TEXT NOT NULL REFERENCES ssf_receivers(name) ON DELETE CASCADE,
            configuration TEXT NOT NULL,
            authorization_header BLOB,
            status TEXT NOT NULL CHECK (status IN ('enabled', 'paused', 'disabled')),
            status_reason TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX ssf_streams_by_receiver ON ssf_streams(receiver, created_at);
        CREATE TABLE ssf_removed_subjects (
            stream_id TEXT NOT NULL REFERENCES ssf_streams(id) ON DELETE CASCADE,
            subject TEXT NOT NULL,
            added_at INTEGER NOT NULL,
            PRIMARY KEY (stream_id, subject)
        );
        """
}
