import GRDB

/// The first two schemas (the core, then the hardening issue), frozen.
extension Migrations {
    /// Hardening (issue 7):
    /// - `meta` remembers one-time conversions (the re-sealing of secrets with associated data).
    /// - `events` accepts the outcome `deferred` (a `503` asked the notifier to come back, such as
    ///   a token signed with a key published after our last JWKS fetch) and gets an index for the
    ///   shorter retention of rejected events.
    /// - Sessions belong to a registered issuer by name, deleted with it (SEC-5), instead of to a
    ///   free `iss` string a second registration could claim. A session whose `iss` matched no
    ///   registered issuer could never be selected by a logout and is not carried over; where
    ///   two registrations shared an `iss` (no longer allowed), the one with keys takes the
    ///   sessions, then the oldest.
    static let v2 = """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE events_v2 (
            id INTEGER PRIMARY KEY,
            received_at INTEGER NOT NULL,
            source TEXT NOT NULL,
            iss TEXT,
            sub TEXT,
            sid TEXT,
            jti TEXT,
            token_hash TEXT,
            outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'duplicate', 'rejected', 'deferred')),
            reason TEXT,
            deliveries INTEGER NOT NULL DEFAULT 0,
            client_address TEXT
        );
        INSERT INTO events_v2 SELECT id, received_at, source, iss, sub, sid, jti, token_hash, outcome, reason,
            deliveries, client_address FROM events;
        DROP TABLE events;
        ALTER TABLE events_v2 RENAME TO events;
        CREATE INDEX events_by_time ON events(received_at);
        CREATE INDEX events_by_outcome ON events(outcome, received_at);

        CREATE TABLE sessions_v2 (
            id INTEGER PRIMARY KEY,
            issuer_name TEXT NOT NULL REFERENCES issuers(name) ON DELETE CASCADE,
            sub TEXT NOT NULL,
            sid TEXT,
            client_id TEXT NOT NULL REFERENCES relying_parties(client_id) ON DELETE CASCADE,
            rp_sub TEXT NOT NULL,
            rp_sid TEXT,
            created_at INTEGER NOT NULL,
            expires_at INTEGER,
            ended_at INTEGER,
            ended_by_event INTEGER,
            id_token BLOB,
            access_token BLOB,
            refresh_token BLOB
        );
        INSERT INTO sessions_v2 (id, issuer_name, sub, sid, client_id, rp_sub, rp_sid, created_at, expires_at,
            ended_at, ended_by_event, id_token, access_token, refresh_token)
        SELECT s.id, (SELECT i.name FROM issuers i WHERE i.issuer = s.issuer
                ORDER BY i.key_source = 'shared_secret', i.created_at, i.name LIMIT 1),
            s.sub, s.sid, s.client_id, s.rp_sub, s.rp_sid, s.created_at, s.expires_at, s.ended_at,
            s.ended_by_event, s.id_token, s.access_token, s.refresh_token
        FROM sessions s WHERE EXISTS (SELECT 1 FROM issuers i WHERE i.issuer = s.issuer);
        DROP TABLE sessions;
        ALTER TABLE sessions_v2 RENAME TO sessions;
        CREATE INDEX sessions_by_sid ON sessions(issuer_name, sid) WHERE ended_at IS NULL AND sid IS NOT NULL;
        CREATE INDEX sessions_by_sub ON sessions(issuer_name, sub) WHERE ended_at IS NULL;
        CREATE INDEX sessions_by_issuer ON sessions(issuer_name);
        CREATE INDEX sessions_by_rp_sub ON sessions(client_id, rp_sub, created_at);
        CREATE INDEX sessions_expiry ON sessions(expires_at) WHERE expires_at IS NOT NULL;
        """

    static let v1 = """
        CREATE TABLE issuers (
            name TEXT PRIMARY KEY NOT NULL,
            issuer TEXT NOT NULL,
            audience TEXT NOT NULL,
            key_source TEXT NOT NULL CHECK (key_source IN ('jwks_uri', 'jwks', 'shared_secret')),
            jwks_uri TEXT,
            jwks TEXT,
            shared_secret BLOB,
            algorithms TEXT NOT NULL,
            typ_policy TEXT NOT NULL CHECK (typ_policy IN ('default', 'strict', 'legacy')),
            require_exp INTEGER NOT NULL,
            end_session_endpoint TEXT,
            revocation_endpoint TEXT,
            client_id TEXT,
            client_secret BLOB,
            created_at INTEGER NOT NULL,
            CHECK ((key_source = 'jwks_uri') = (jwks_uri IS NOT NULL)),
            CHECK ((key_source = 'jwks') = (jwks IS NOT NULL)),
            CHECK ((key_source = 'shared_secret') = (shared_secret IS NOT NULL))
        );
        CREATE INDEX issuers_by_iss ON issuers(issuer);

        CREATE TABLE relying_parties (
            client_id TEXT PRIMARY KEY NOT NULL,
            backchannel_logout_uri TEXT NOT NULL,
            session_required INTEGER NOT NULL DEFAULT 0,
            signing_alg TEXT NOT NULL CHECK (signing_alg IN ('ES256', 'RS256', 'EdDSA', 'HS256')),
            client_secret BLOB,
            token_issuer TEXT,
            subjects TEXT NOT NULL CHECK (subjects IN ('registered', 'all')),
            issuers TEXT NOT NULL DEFAULT '[]',
            enabled INTEGER NOT NULL DEFAULT 1,
            allow_http INTEGER NOT NULL DEFAULT 0,
            post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]',
            frontchannel_logout_uri TEXT,
            frontchannel_logout_session_required INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            CHECK (signing_alg <> 'HS256' OR client_secret IS NOT NULL)
        );

        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            issuer TEXT NOT NULL,
            sub TEXT NOT NULL,
            sid TEXT,
            client_id TEXT NOT NULL REFERENCES relying_parties(client_id) ON DELETE CASCADE,
            rp_sub TEXT NOT NULL,
            rp_sid TEXT,
            created_at INTEGER NOT NULL,
            expires_at INTEGER,
            ended_at INTEGER,
            ended_by_event INTEGER,
            id_token BLOB,
            access_token BLOB,
            refresh_token BLOB
        );
        CREATE INDEX sessions_by_sid ON sessions(issuer, sid) WHERE ended_at IS NULL AND sid IS NOT NULL;
        CREATE INDEX sessions_by_sub ON sessions(issuer, sub) WHERE ended_at IS NULL;
        CREATE INDEX sessions_by_rp_sub ON sessions(client_id, rp_sub, created_at);
        CREATE INDEX sessions_expiry ON sessions(expires_at) WHERE expires_at IS NOT NULL;

        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            received_at INTEGER NOT NULL,
            source TEXT NOT NULL,
            iss TEXT,
            sub TEXT,
            sid TEXT,
            jti TEXT,
            token_hash TEXT,
            outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'duplicate', 'rejected')),
            reason TEXT,
            deliveries INTEGER NOT NULL DEFAULT 0,
            client_address TEXT
        );
        CREATE INDEX events_by_time ON events(received_at);

        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
            client_id TEXT NOT NULL,
            sub TEXT,
            sid TEXT,
            status TEXT NOT NULL CHECK (status IN ('pending', 'retrying', 'delivered', 'failed', 'skipped')),
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            next_attempt_at INTEGER,
            lease_until INTEGER,
            delivered_at INTEGER,
            last_status_code INTEGER,
            last_error TEXT,
            reason TEXT,
            CHECK ((status IN ('pending', 'retrying')) = (next_attempt_at IS NOT NULL))
        );
        CREATE INDEX deliveries_due ON deliveries(client_id, next_attempt_at)
            WHERE status IN ('pending', 'retrying');
        CREATE INDEX deliveries_next ON deliveries(next_attempt_at) WHERE status IN ('pending', 'retrying');
        CREATE INDEX deliveries_by_event ON deliveries(event_id);
        CREATE INDEX deliveries_by_status ON deliveries(status, client_id, id);

        CREATE TABLE attempts (
            delivery_id INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
            attempt INTEGER NOT NULL,
            started_at INTEGER NOT NULL,
            duration_ms INTEGER NOT NULL,
            status_code INTEGER,
            error_class TEXT,
            jti TEXT NOT NULL,
            rp_error TEXT,
            next_attempt_at INTEGER,
            PRIMARY KEY (delivery_id, attempt)
        ) WITHOUT ROWID;

        CREATE TABLE replay (
            issuer_name TEXT NOT NULL,
            jti TEXT NOT NULL,
            token_hash TEXT NOT NULL,
            event_id INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            PRIMARY KEY (issuer_name, jti)
        ) WITHOUT ROWID;
        CREATE INDEX replay_expiry ON replay(expires_at);

        CREATE TABLE signing_keys (
            kid TEXT PRIMARY KEY NOT NULL,
            alg TEXT NOT NULL,
            file TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            first_seen_at INTEGER NOT NULL
        );
        """
}
