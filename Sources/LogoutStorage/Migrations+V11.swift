extension Migrations {
    /// Our own streams at registered issuers' SSF transmitters (the receiver role): the admin's
    /// settings and sealed token, the progress of setting the stream up, and the lease of the
    /// replica that runs it. A receiver's OAuth `client_id`, when it is not its name. Each push
    /// stream's circuit breaker, as each RP's.
    static let v11 = """
        CREATE TABLE upstream_streams (
            issuer_name TEXT PRIMARY KEY NOT NULL REFERENCES issuers(name) ON DELETE CASCADE,
            configuration_url TEXT NOT NULL,
            delivery TEXT NOT NULL CHECK (delivery IN ('push', 'poll')),
            token BLOB NOT NULL,
            generation INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('creating', 'verifying', 'verified')),
            stream_id TEXT,
            poll_url TEXT,
            configuration_endpoint TEXT,
            verification_state TEXT,
            verified_at INTEGER,
            last_error TEXT,
            last_error_at INTEGER,
            last_polled_at INTEGER,
            lease_owner TEXT,
            lease_until INTEGER,
            updated_at INTEGER NOT NULL
        );
        ALTER TABLE ssf_receivers ADD COLUMN oauth_client_id TEXT;
        CREATE UNIQUE INDEX ssf_receivers_client ON ssf_receivers((COALESCE(oauth_client_id, name)));
        CREATE TABLE ssf_breakers (
            stream_id TEXT PRIMARY KEY NOT NULL REFERENCES ssf_streams(id) ON DELETE CASCADE,
            state TEXT NOT NULL CHECK (state IN ('closed', 'open', 'probing')),
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            since INTEGER,
            last_error TEXT,
            next_probe_at INTEGER,
            failed_probes INTEGER NOT NULL DEFAULT 0
        );
        """
}
