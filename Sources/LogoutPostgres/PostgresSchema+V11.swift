extension PostgresSchema {
    /// As the embedded store's v11: our own streams at registered issuers' SSF transmitters, and a
    /// receiver's OAuth `client_id`, and each push stream's circuit breaker.
    static let v11 = """
        CREATE TABLE upstream_streams (
            issuer_name TEXT PRIMARY KEY REFERENCES issuers(name) ON DELETE CASCADE,
            configuration_url TEXT NOT NULL,
            delivery TEXT NOT NULL CHECK (delivery IN ('push', 'poll')),
            token BYTEA NOT NULL,
            generation BIGINT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('creating', 'verifying', 'verified')),
            stream_id TEXT,
            poll_url TEXT,
            configuration_endpoint TEXT,
            verification_state TEXT,
            verified_at BIGINT,
            last_error TEXT,
            last_error_at BIGINT,
            last_polled_at BIGINT,
            lease_owner TEXT,
            lease_until BIGINT,
            updated_at BIGINT NOT NULL
        );
        ALTER TABLE ssf_receivers ADD COLUMN oauth_client_id TEXT;
        CREATE UNIQUE INDEX ssf_receivers_client ON ssf_receivers((COALESCE(oauth_client_id, name)));
        CREATE TABLE ssf_breakers (
            stream_id TEXT PRIMARY KEY REFERENCES ssf_streams(id) ON DELETE CASCADE,
            state TEXT NOT NULL CHECK (state IN ('closed', 'open', 'probing')),
            consecutive_failures BIGINT NOT NULL DEFAULT 0,
            since BIGINT,
            last_error TEXT,
            next_probe_at BIGINT,
            failed_probes BIGINT NOT NULL DEFAULT 0
        );
        """
}
