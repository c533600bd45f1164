import LogoutCore
import PostgresNIO

extension PostgresStore {
    public func upstreamStreams() async throws -> [UpstreamStream] {
        try await read { db in
            try await db.rows("SELECT * FROM upstream_streams ORDER BY issuer_name COLLATE \"C\"").map(
                Self.upstream(from:)
            )
        }
    }

    public func upstreamStream(issuer: String) async throws -> UpstreamStream? {
        try await read { db in
            try await db.row("SELECT * FROM upstream_streams WHERE issuer_name = \(issuer)").map(Self.upstream(from:))
        }
    }

    public func configureUpstreamStream(
        issuer: String,
        settings: UpstreamStream.Settings?,
        sealedToken: [UInt8]?,
        now: Timestamp
    ) async throws {
        try await write { db in
            // The issuer's row, locked: a concurrent change of the same stream waits for this one.
            guard try await db.value("SELECT 1 FROM issuers WHERE name = \(issuer) FOR UPDATE", as: Int32.self) != nil
            else { throw RegistryError.notFound("no issuer named \(issuer)") }
            guard let settings else {
                try await db.execute("DELETE FROM upstream_streams WHERE issuer_name = \(issuer)")
                return
            }
            let existing = try await db.row(
                "SELECT configuration_url, delivery, generation, token FROM upstream_streams WHERE issuer_name = \(issuer)"
            )
            let now = now.millisecondsSince1970
            if let existing, try existing.get("configuration_url", as: String.self) == settings.configurationURL,
                try existing.get("delivery", as: String.self) == settings.delivery.name
            {
                if let sealedToken {
                    try await db.execute(
                        """
                        UPDATE upstream_streams SET token = \(ByteBuffer(bytes: sealedToken)), updated_at = \(now)
                        WHERE issuer_name = \(issuer)
                        """
                    )
                }
                return
            }
            // New settings keep the token unless one is given.
            guard let token = try sealedToken ?? existing?.bytes("token") else {
                throw RegistryError.conflict("a new upstream stream needs its transmitter's token")
            }
            let generation = UpstreamStream.nextGeneration(after: try existing?.get("generation", as: Int64.self))
            try await db.execute("DELETE FROM upstream_streams WHERE issuer_name = \(issuer)")
            try await db.execute(
                """
                INSERT INTO upstream_streams
                    (issuer_name, configuration_url, delivery, token, generation, state, updated_at)
                VALUES (\(issuer), \(settings.configurationURL), \(settings.delivery.name),
                        \(ByteBuffer(bytes: token)), \(generation), 'creating', \(now))
                """
            )
        }
    }

    public func recordUpstreamStream(_ stream: UpstreamStream, owner: String, now: Timestamp) async throws -> Bool {
        try await write { db in
            try await db.count(
                """
                UPDATE upstream_streams SET state = \(stream.state.rawValue), stream_id = \(stream.streamID),
                    poll_url = \(stream.pollURL), configuration_endpoint = \(stream.configurationEndpoint),
                    verification_state = \(stream.verificationState),
                    verified_at = \(stream.verifiedAt?.millisecondsSince1970), last_error = \(stream.lastError),
                    last_error_at = \(stream.lastErrorAt?.millisecondsSince1970),
                    last_polled_at = \(stream.lastPolledAt?.millisecondsSince1970),
                    updated_at = \(now.millisecondsSince1970)
                WHERE issuer_name = \(stream.issuerName) AND generation = \(stream.generation)
                  AND (lease_owner IS NULL OR lease_owner = \(owner))
                RETURNING 1
                """
            ) == 1
        }
    }

    public func leaseUpstreamStream(
        issuer: String,
        generation: Int64,
        owner: String,
        until: Timestamp,
        now: Timestamp
    ) async throws -> Bool {
        try await write { db in
            try await db.count(
                """
                UPDATE upstream_streams SET lease_owner = \(owner), lease_until = \(until.millisecondsSince1970)
                WHERE issuer_name = \(issuer) AND generation = \(generation)
                  AND (lease_owner IS NULL OR lease_owner = \(owner) OR lease_until <= \(now.millisecondsSince1970))
                RETURNING 1
                """
            ) == 1
        }
    }

    public func markUpstreamStreamVerified(
        issuer: String,
        streamID: String,
        state: String,
        now: Timestamp
    ) async throws -> Bool {
        try await write { db in
            try await db.count(
                """
                UPDATE upstream_streams SET state = 'verified', verified_at = \(now.millisecondsSince1970),
                    last_error = NULL, last_error_at = NULL, updated_at = \(now.millisecondsSince1970)
                WHERE issuer_name = \(issuer) AND stream_id = \(streamID) AND verification_state = \(state)
                  AND state <> 'creating'
                RETURNING 1
                """
            ) == 1
        }
    }

    private static func upstream(from row: PostgresRandomAccessRow) throws -> UpstreamStream {
        UpstreamStream(
            issuerName: try row.get("issuer_name"),
            settings: .init(
                configurationURL: try row.get("configuration_url"),
                delivery: SSFDeliveryMethod(name: try row.get("delivery")) ?? .poll
            ),
            sealedToken: try row.bytes("token") ?? [],
            generation: try row.get("generation"),
            state: UpstreamStream.State(rawValue: try row.get("state")) ?? .creating,
            streamID: try row.get("stream_id", as: String?.self),
            pollURL: try row.get("poll_url", as: String?.self),
            configurationEndpoint: try row.get("configuration_endpoint", as: String?.self),
            verificationState: try row.get("verification_state", as: String?.self),
            verifiedAt: try row.optionalTime("verified_at"),
            lastError: try row.get("last_error", as: String?.self),
            lastErrorAt: try row.optionalTime("last_error_at"),
            lastPolledAt: try row.optionalTime("last_polled_at"),
            updatedAt: try row.time("updated_at")
        )
    }
}
