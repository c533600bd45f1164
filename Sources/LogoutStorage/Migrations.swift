import GRDB

/// The schema, as frozen SQL. A shipped migration never changes; a new one is appended.
/// Times are integer milliseconds since 1970 (UTC).
enum Migrations {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1") { db in
            try db.execute(sql: v1)
        }
        migrator.registerMigration("v2") { db in
            try db.execute(sql: v2)
        }
        migrator.registerMigration("v3") { db in
            try db.execute(sql: v3)
        }
        migrator.registerMigration("v4") { db in
            try db.execute(sql: v4)
        }
        migrator.registerMigration("v5") { db in
            try db.execute(sql: v5)
        }
        migrator.registerMigration("v6") { db in
            try db.execute(sql: v6)
        }
        migrator.registerMigration("v7") { db in
            try db.execute(sql: v7)
        }
        migrator.registerMigration("v8") { db in
            try db.execute(sql: v8)
        }
        migrator.registerMigration("v9") { db in
            try db.execute(sql: v9)
        }
        migrator.registerMigration("v10") { db in
            try db.execute(sql: v10)
        }
        migrator.registerMigration("v11") { db in
            try db.execute(sql: v11)
        }
        migrator.registerMigration("v12") { db in
            try db.execute(sql: v12)
        }
        migrator.registerMigration("v13") { db in
            try db.execute(sql: v13)
        }
        migrator.registerMigration("v14") { db in
            try v14(db)
        }
        migrator.registerMigration("v15") { db in
            try db.execute(sql: v15)
        }
        migrator.registerMigration("v16") { db in
            try db.execute(sql: v16)
        }
        migrator.registerMigration("v17") { db in
            try db.execute(sql: v17)
        }
    }

    /// The address that answered an attempt: behind one name, several servers, and the one
    /// that misbehaves is the one an admin must find.
    static let v9 = """
        ALTER TABLE attempts ADD COLUMN remote_address TEXT;
        """

    /// Token revocation (BR-8): one row per upstream token of an ended session, queued like a
    /// delivery. The sealed token moves here from its session (still bound to the session's row
    /// and column) and is erased once revoked; `after_id` holds an access token back until the
    /// refresh token of its session has been tried. Sessions ended before this version keep no
    /// token: nothing would ever use them again.
    static let v8 = """
        CREATE TABLE revocations (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
            session_id INTEGER NOT NULL,
            issuer_name TEXT NOT NULL REFERENCES issuers(name) ON DELETE CASCADE,
            client_id TEXT NOT NULL,
            token_type TEXT NOT NULL CHECK (token_type IN ('refresh_token', 'access_token')),
            token BLOB,
            after_id INTEGER,
            status TEXT NOT NULL CHECK (status IN ('pending', 'retrying', 'revoked', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            next_attempt_at INTEGER,
            lease_until INTEGER,
            finished_at INTEGER,
            last_status_code INTEGER,
            last_error TEXT,
            reason TEXT,
            CHECK ((status IN ('pending', 'retrying')) = (next_attempt_at IS NOT NULL))
        );
        CREATE INDEX revocations_next ON revocations(next_attempt_at) WHERE status IN ('pending', 'retrying');
        CREATE INDEX revocations_by_event ON revocations(event_id);
        UPDATE sessions SET id_token = NULL, access_token = NULL, refresh_token = NULL
            WHERE ended_at IS NOT NULL
                AND (id_token IS NOT NULL OR access_token IS NOT NULL OR refresh_token IS NOT NULL);
        """

    /// Browser logout through the upstream IdP (BR-6): where the browser goes once the IdP's own
    /// end-session sends it back, keyed by a hash of the single-use `state` we gave it. In the
    /// database, not in memory, so that any replica may receive the callback.
    static let v7 = """
        CREATE TABLE end_session_returns (
            state_hash TEXT PRIMARY KEY,
            return_to TEXT,
            language TEXT NOT NULL,
            expires_at INTEGER NOT NULL
        );
        CREATE INDEX end_session_returns_expiry ON end_session_returns(expires_at);
        """

    /// The delivery log page: when each delivery reached its end (for its per-minute chart), and
    /// events found by subject.
    static let v6 = """
        ALTER TABLE deliveries ADD COLUMN finished_at INTEGER;
        UPDATE deliveries SET finished_at = COALESCE(delivered_at, created_at)
            WHERE status IN ('delivered', 'failed', 'skipped');
        CREATE INDEX deliveries_finished ON deliveries(finished_at) WHERE finished_at IS NOT NULL;
        CREATE INDEX events_by_sub ON events(sub) WHERE sub IS NOT NULL;
        CREATE INDEX attempts_retried ON attempts(started_at) WHERE next_attempt_at IS NOT NULL;
        """

    /// Key rotation (OUT-4): when each signing key signs from. Keys known before it signed from
    /// their creation, the newest of each algorithm winning, which is what this reproduces.
    static let v5 = """
        ALTER TABLE signing_keys ADD COLUMN signs_from INTEGER NOT NULL DEFAULT 0;
        UPDATE signing_keys SET signs_from = created_at;
        """

    /// Circuit breakers: one row per RP whose breaker ever tripped; no row is closed. In the
    /// store, not in a process, so daemons sharing a store share them.
    static let v4 = """
        CREATE TABLE breakers (
            client_id TEXT PRIMARY KEY NOT NULL REFERENCES relying_parties(client_id) ON DELETE CASCADE,
            state TEXT NOT NULL CHECK (state IN ('closed', 'open', 'probing')),
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            since INTEGER,
            last_error TEXT,
            next_probe_at INTEGER,
            failed_probes INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        """

    /// Operations (issue 9): when a delivery's attempt began, so the log shows it in flight (since
    /// when, which attempt) instead of a due time that is really its lease's end.
    static let v3 = """
        ALTER TABLE deliveries ADD COLUMN leased_at INTEGER;
        """

}
