import Foundation
import Logging
import PostgresNIO

/// The schema, as frozen SQL: a shipped migration never changes; a new one is appended.
///
/// The embedded store's schema after all its migrations, in PostgreSQL's types: times are
/// integer milliseconds since 1970 (UTC) as there, ids are identities that a copy from SQLite
/// may set (`migrate-store`), flags are booleans. Added for several replicas: `lease_owner` on
/// leased rows, an index of live leases per RP (the cluster-wide cap), and sealed signing keys.
enum PostgresSchema {
    /// Named as the embedded store names the same schema: `v8` here is `v8` there, so a version
    /// in a log line or `check-config` means one thing whichever store runs.
    static let migrations: [(name: String, sql: String)] = [
        ("v8", v8), ("v9", v9), ("v10", v10), ("v11", v11), ("v12", v12), ("v13", v13),
        ("v14", v14), ("v15", v15), ("v16", v16), ("v17", v17),
    ]

    /// As the embedded store's v9: the address that answered an attempt.
    static let v9 = """
        ALTER TABLE attempts ADD COLUMN remote_address TEXT;
        """

    /// Names this store's migrations had before they were named after the embedded store's. A
    /// database migrated under a former name gets the new name beside it, never instead of it:
    /// a replica of the former version, still running in a rolling upgrade, finds its own name
    /// and does not apply its migration again.
    static let formerNames = ["v1": "v8"]

    /// Every column that holds sealed values, with the column that names its row (the
    /// `SealedField` row): re-sealed at start (SEC-6). A migration that adds a sealed column
    /// adds it here, as the embedded store's does to its own list.
    static let sealedColumns: [(table: String, key: String, columns: [String])] = [
        ("issuers", "name", ["shared_secret", "client_secret"]),
        ("relying_parties", "client_id", ["client_secret"]),
        ("sessions", "id", ["id_token", "access_token", "refresh_token"]),
        ("ssf_streams", "id", ["authorization_header"]),
        ("upstream_streams", "issuer_name", ["token"]),
    ]

    /// Any number for `pg_advisory_lock`, the same in every replica.
    static let migrationLock: Int64 = 0x6c6f_676f_7574_64

    /// Applies the migrations not applied yet, holding a session-level advisory lock so that
    /// replicas starting together wait for each other and the second finds nothing to do.
    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withConnection { connection in
            try await connection.run("SELECT pg_advisory_lock(\(migrationLock))", logger: logger)
            do {
                try await connection.run(
                    """
                    CREATE TABLE IF NOT EXISTS logoutd_migrations (
                        name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                    """,
                    logger: logger
                )
                for (former, name) in formerNames {
                    try await connection.run(
                        """
                        INSERT INTO logoutd_migrations (name, applied_at)
                        SELECT \(name), applied_at FROM logoutd_migrations WHERE name = \(former)
                        ON CONFLICT (name) DO NOTHING
                        """,
                        logger: logger
                    )
                }
                let applied = Set(
                    try await connection.run("SELECT name FROM logoutd_migrations", logger: logger)
                        .map { try $0.decode(String.self) }
                )
                for migration in migrations where !applied.contains(migration.name) {
                    try await connection.run("BEGIN", logger: logger)
                    do {
                        for statement in statements(of: migration.sql) {
                            try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await connection.run(
                            "INSERT INTO logoutd_migrations (name) VALUES (\(migration.name))",
                            logger: logger
                        )
                        try await connection.run("COMMIT", logger: logger)
                    } catch {
                        _ = try? await connection.run("ROLLBACK", logger: logger)
                        throw error
                    }
                    logger.notice("database schema migrated", metadata: ["migration": "\(migration.name)"])
                }
            } catch {
                _ = try? await connection.run("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
                throw error
            }
            try await connection.run("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
        }
    }

    /// A migration's statements, one by one (the extended protocol runs one at a time). Frozen
    /// SQL ends each statement with a semicolon at the end of a line, and has none elsewhere.
    static func statements(of sql: String) -> [String] {
        sql.components(separatedBy: ";\n")
            .map { $0.trimmingCharacters(in: CharacterSet.whitespacesAndNewlines.union([";"])) }
            .filter { !$0.isEmpty }
    }

    static let v8 = """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

        CREATE TABLE issuers (
            name TEXT PRIMARY KEY,
            issuer TEXT NOT NULL,
            audience TEXT NOT NULL,
            key_source TEXT NOT NULL CHECK (key_source IN ('jwks_uri', 'jwks', 'shared_secret')),
            jwks_uri TEXT,
            jwks TEXT,
            shared_secret BYTEA,
            algorithms TEXT NOT NULL,
            typ_policy TEXT NOT NULL CHECK (typ_policy IN ('default', 'strict', 'legacy')),
            require_exp BOOLEAN NOT NULL,
            end_session_endpoint TEXT,
            revocation_endpoint TEXT,
            client_id TEXT,
            client_secret BYTEA,
            created_at BIGINT NOT NULL,
            CHECK ((key_source = 'jwks_uri') = (jwks_uri IS NOT NULL)),
            CHECK ((key_source = 'jwks') = (jwks IS NOT NULL)),
            CHECK ((key_source = 'shared_secret') = (shared_secret IS NOT NULL))
        );
        -- SEC-5: one iss, one registration, even when two replicas register at once.
        CREATE UNIQUE INDEX issuers_by_iss ON issuers(issuer);

        CREATE TABLE relying_parties (
            client_id TEXT PRIMARY KEY,
            backchannel_logout_uri TEXT NOT NULL,
            session_required BOOLEAN NOT NULL DEFAULT false,
            signing_alg TEXT NOT NULL CHECK (signing_alg IN ('ES256', 'RS256', 'EdDSA', 'HS256')),
            client_secret BYTEA,
            token_issuer TEXT,
            subjects TEXT NOT NULL CHECK (subjects IN ('registered', 'all')),
            issuers TEXT NOT NULL DEFAULT '[]',
            enabled BOOLEAN NOT NULL DEFAULT true,
            allow_http BOOLEAN NOT NULL DEFAULT false,
            post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]',
            frontchannel_logout_uri TEXT,
            frontchannel_logout_session_required BOOLEAN NOT NULL DEFAULT false,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            CHECK (signing_alg <> 'HS256' OR client_secret IS NOT NULL)
        );

        CREATE TABLE sessions (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            issuer_name TEXT NOT NULL REFERENCES issuers(name) ON DELETE CASCADE,
            sub TEXT NOT NULL,
            sid TEXT,
            client_id TEXT NOT NULL REFERENCES relying_parties(client_id) ON DELETE CASCADE,
            rp_sub TEXT NOT NULL,
            rp_sid TEXT,
            created_at BIGINT NOT NULL,
            expires_at BIGINT,
            ended_at BIGINT,
            ended_by_event BIGINT,
            id_token BYTEA,
            access_token BYTEA,
            refresh_token BYTEA
        );
        CREATE INDEX sessions_by_sid ON sessions(issuer_name, sid) WHERE ended_at IS NULL AND sid IS NOT NULL;
        CREATE INDEX sessions_by_sub ON sessions(issuer_name, sub) WHERE ended_at IS NULL;
        CREATE INDEX sessions_by_issuer ON sessions(issuer_name);
        CREATE INDEX sessions_by_client ON sessions(client_id);
        CREATE INDEX sessions_by_rp_sub ON sessions(client_id, rp_sub, created_at);
        CREATE INDEX sessions_expiry ON sessions(expires_at) WHERE expires_at IS NOT NULL;

        CREATE TABLE events (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            received_at BIGINT NOT NULL,
            source TEXT NOT NULL,
            iss TEXT,
            sub TEXT,
            sid TEXT,
            jti TEXT,
            token_hash TEXT,
            outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'duplicate', 'rejected', 'deferred')),
            reason TEXT,
            deliveries BIGINT NOT NULL DEFAULT 0,
            client_address TEXT
        );
        CREATE INDEX events_by_time ON events(received_at);
        CREATE INDEX events_by_outcome ON events(outcome, received_at);
        CREATE INDEX events_by_sub ON events(sub) WHERE sub IS NOT NULL;

        CREATE TABLE deliveries (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            event_id BIGINT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
            client_id TEXT NOT NULL,
            sub TEXT,
            sid TEXT,
            status TEXT NOT NULL CHECK (status IN ('pending', 'retrying', 'delivered', 'failed', 'skipped')),
            attempts BIGINT NOT NULL DEFAULT 0,
            created_at BIGINT NOT NULL,
            next_attempt_at BIGINT,
            lease_until BIGINT,
            leased_at BIGINT,
            lease_owner TEXT,
            delivered_at BIGINT,
            last_status_code BIGINT,
            last_error TEXT,
            reason TEXT,
            finished_at BIGINT,
            CHECK ((status IN ('pending', 'retrying')) = (next_attempt_at IS NOT NULL))
        );
        CREATE INDEX deliveries_due ON deliveries(client_id, next_attempt_at) WHERE status IN ('pending', 'retrying');
        CREATE INDEX deliveries_next ON deliveries(next_attempt_at) WHERE status IN ('pending', 'retrying');
        CREATE INDEX deliveries_leased ON deliveries(client_id, lease_until) WHERE lease_until IS NOT NULL;
        CREATE INDEX deliveries_owned ON deliveries(lease_owner) WHERE lease_owner IS NOT NULL;
        CREATE INDEX deliveries_by_event ON deliveries(event_id);
        CREATE INDEX deliveries_by_status ON deliveries(status, client_id, id);
        CREATE INDEX deliveries_finished ON deliveries(finished_at) WHERE finished_at IS NOT NULL;

        CREATE TABLE attempts (
            delivery_id BIGINT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
            attempt BIGINT NOT NULL,
            started_at BIGINT NOT NULL,
            duration_ms BIGINT NOT NULL,
            status_code BIGINT,
            error_class TEXT,
            jti TEXT NOT NULL,
            rp_error TEXT,
            next_attempt_at BIGINT,
            replica TEXT,
            PRIMARY KEY (delivery_id, attempt)
        );
        CREATE INDEX attempts_retried ON attempts(started_at) WHERE next_attempt_at IS NOT NULL;

        -- IN-12: the primary key is what makes a replay visible across replicas.
        CREATE TABLE replay (
            issuer_name TEXT NOT NULL,
            jti TEXT NOT NULL,
            token_hash TEXT NOT NULL,
            event_id BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            PRIMARY KEY (issuer_name, jti)
        );
        CREATE INDEX replay_expiry ON replay(expires_at);

        CREATE TABLE signing_keys (
            kid TEXT PRIMARY KEY,
            alg TEXT NOT NULL,
            file TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            first_seen_at BIGINT NOT NULL,
            signs_from BIGINT NOT NULL DEFAULT 0,
            sealed_key BYTEA
        );

        CREATE TABLE breakers (
            client_id TEXT PRIMARY KEY REFERENCES relying_parties(client_id) ON DELETE CASCADE,
            state TEXT NOT NULL CHECK (state IN ('closed', 'open', 'probing')),
            consecutive_failures BIGINT NOT NULL DEFAULT 0,
            since BIGINT,
            last_error TEXT,
            next_probe_at BIGINT,
            failed_probes BIGINT NOT NULL DEFAULT 0
        );

        CREATE TABLE end_session_returns (
            state_hash TEXT PRIMARY KEY,
            return_to TEXT,
            language TEXT NOT NULL,
            expires_at BIGINT NOT NULL
        );
        CREATE INDEX end_session_returns_expiry ON end_session_returns(expires_at);

        CREATE TABLE revocations (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            event_id BIGINT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
            session_id BIGINT NOT NULL,
            issuer_name TEXT NOT NULL REFERENCES issuers(name) ON DELETE CASCADE,
            client_id TEXT NOT NULL,
            token_type TEXT NOT NULL CHECK (token_type IN ('refresh_token', 'access_token')),
            token BYTEA,
            after_id BIGINT,
            status TEXT NOT NULL CHECK (status IN ('pending', 'retrying', 'revoked', 'failed')),
            attempts BIGINT NOT NULL DEFAULT 0,
            created_at BIGINT NOT NULL,
            next_attempt_at BIGINT,
            lease_until BIGINT,
            lease_owner TEXT,
            finished_at BIGINT,
            last_status_code BIGINT,
            last_error TEXT,
            reason TEXT,
            CHECK ((status IN ('pending', 'retrying')) = (next_attempt_at IS NOT NULL))
        );
        CREATE INDEX revocations_next ON revocations(next_attempt_at) WHERE status IN ('pending', 'retrying');
        CREATE INDEX revocations_by_event ON revocations(event_id);
        """
}
