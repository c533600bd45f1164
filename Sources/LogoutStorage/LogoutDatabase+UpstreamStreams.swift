import Foundation
import GRDB
import LogoutCore

extension LogoutDatabase {
    public func upstreamStreams() async throws -> [UpstreamStream] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM upstream_streams ORDER BY issuer_name").map(Self.upstream(from:))
        }
    }

    public func upstreamStream(issuer: String) async throws -> UpstreamStream? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM upstream_streams WHERE issuer_name = ?", arguments: [issuer])
                .map(Self.upstream(from:))
        }
    }

    public func configureUpstreamStream(
        issuer: String,
        settings: UpstreamStream.Settings?,
        sealedToken: [UInt8]?,
        now: Timestamp
    ) async throws {
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM issuers WHERE name = ?", arguments: [issuer]) == true else {
                throw RegistryError.notFound("no issuer named \(issuer)")
            }
            guard let settings else {
                try db.execute(sql: "DELETE FROM upstream_streams WHERE issuer_name = ?", arguments: [issuer])
                return
            }
            let existing = try Row.fetchOne(
                db,
                sql:
                    "SELECT configuration_url, delivery, generation, token FROM upstream_streams WHERE issuer_name = ?",
                arguments: [issuer]
            )
            if let existing, existing["configuration_url"] == settings.configurationURL,
                existing["delivery"] == settings.delivery.name
            {
                if let sealedToken {
                    try db.execute(
                        sql: "UPDATE upstream_streams SET token = ?, updated_at = ? WHERE issuer_name = ?",
                        arguments: [Data(sealedToken), now.column, issuer]
                    )
                }
                return
            }
            // New settings keep the token unless one is given.
            let kept: Data? = existing?["token"]
            guard let token = sealedToken.map({ Data($0) }) ?? kept else {
                throw RegistryError.conflict("a new upstream stream needs its transmitter's token")
            }
            let generation = UpstreamStream.nextGeneration(after: existing?["generation"])
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO upstream_streams
                        (issuer_name, configuration_url, delivery, token, generation, state, updated_at)
                    VALUES (?, ?, ?, ?, ?, 'creating', ?)
                    """,
                arguments: [
                    issuer, settings.configurationURL, settings.delivery.name, token, generation,
                    now.column,
                ]
            )
        }
    }

    public func recordUpstreamStream(_ stream: UpstreamStream, owner: String, now: Timestamp) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE upstream_streams SET state = ?, stream_id = ?, poll_url = ?, configuration_endpoint = ?,
                        verification_state = ?, verified_at = ?, last_error = ?, last_error_at = ?,
                        last_polled_at = ?, updated_at = ?
                    WHERE issuer_name = ? AND generation = ? AND (lease_owner IS NULL OR lease_owner = ?)
                    """,
                arguments: [
                    stream.state.rawValue, stream.streamID, stream.pollURL, stream.configurationEndpoint,
                    stream.verificationState, stream.verifiedAt?.column, stream.lastError, stream.lastErrorAt?.column,
                    stream.lastPolledAt?.column, now.column, stream.issuerName, stream.generation, owner,
                ]
            )
            return db.changesCount == 1
        }
    }

    public func leaseUpstreamStream(
        issuer: String,
        generation: Int64,
        owner: String,
        until: Timestamp,
        now: Timestamp
    ) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE upstream_streams SET lease_owner = ?, lease_until = ?
                    WHERE issuer_name = ? AND generation = ?
                      AND (lease_owner IS NULL OR lease_owner = ? OR lease_until <= ?)
                    """,
                arguments: [owner, until.column, issuer, generation, owner, now.column]
            )
            return db.changesCount == 1
        }
    }

    public func markUpstreamStreamVerified(
        issuer: String,
        streamID: String,
        state: String,
        now: Timestamp
    ) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE upstream_streams SET state = 'verified', verified_at = ?, last_error = NULL,
                        last_error_at = NULL, updated_at = ?
                    WHERE issuer_name = ? AND stream_id = ? AND verification_state = ? AND state <> 'creating'
                    """,
                arguments: [now.column, now.column, issuer, streamID, state]
            )
            return db.changesCount == 1
        }
    }

    private static func upstream(from row: Row) -> UpstreamStream {
        let delivery: String = row["delivery"]
        let state: String = row["state"]
        let token: Data = row["token"]
        return UpstreamStream(
            issuerName: row["issuer_name"],
            settings: .init(
                configurationURL: row["configuration_url"],
                delivery: SSFDeliveryMethod(name: delivery) ?? .poll
            ),
            sealedToken: [UInt8](token),
            generation: row["generation"],
            state: UpstreamStream.State(rawValue: state) ?? .creating,
            streamID: row["stream_id"],
            pollURL: row["poll_url"],
            configurationEndpoint: row["configuration_endpoint"],
            verificationState: row["verification_state"],
            verifiedAt: (row["verified_at"] as Int64?).map(Timestamp.init(column:)),
            lastError: row["last_error"],
            lastErrorAt: (row["last_error_at"] as Int64?).map(Timestamp.init(column:)),
            lastPolledAt: (row["last_polled_at"] as Int64?).map(Timestamp.init(column:)),
            updatedAt: Timestamp(column: row["updated_at"])
        )
    }
}
