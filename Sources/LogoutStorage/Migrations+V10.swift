extension Migrations {
    /// Shared Signals (SSF §8): receivers the admin registered (only their token's hash), the
    /// streams they create and the subjects removed from them (a stream carries every person
    /// unless removed), and the SETs made for the streams: claims only, signed when sent, kept
    /// until delivered or acknowledged. A receiver's `oauth_issuer` is the registered issuer
    /// whose access tokens may act for it. `events.ssf_done` marks a logout whose SETs were made
    /// (every event before this version counts as done: no stream existed then). A stream's configuration is JSON text
    /// the core writes and reads; its push credential is sealed.
    static let v10 = """
        CREATE TABLE ssf_receivers (
            name TEXT PRIMARY KEY NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            oauth_issuer TEXT REFERENCES issuers(name) ON DELETE SET NULL,
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
        CREATE TABLE ssf_events (
            id INTEGER PRIMARY KEY,
            stream_id TEXT NOT NULL REFERENCES ssf_streams(id) ON DELETE CASCADE,
            event_id INTEGER REFERENCES events(id) ON DELETE SET NULL,
            jti TEXT NOT NULL UNIQUE,
            claims TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('held', 'pending', 'delivered', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            next_attempt_at INTEGER,
            lease_until INTEGER,
            finished_at INTEGER,
            last_status_code INTEGER,
            error TEXT
        );
        CREATE INDEX ssf_events_waiting ON ssf_events(stream_id, id) WHERE status IN ('held', 'pending');
        CREATE INDEX ssf_events_by_time ON ssf_events(created_at);
        CREATE INDEX ssf_events_due ON ssf_events(stream_id, next_attempt_at) WHERE status = 'pending';
        ALTER TABLE events ADD COLUMN ssf_done INTEGER NOT NULL DEFAULT 0;
        UPDATE events SET ssf_done = 1;
        CREATE INDEX events_ssf_waiting ON events(id) WHERE ssf_done = 0;
        """
}
