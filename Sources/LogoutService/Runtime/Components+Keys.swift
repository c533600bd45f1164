import Logging
import LogoutCore
import LogoutJWT

extension Components {
    /// Loads our signing keys (`keys.dir`, and `$CREDENTIALS_DIRECTORY` under systemd) and their
    /// schedule; a key file the store has not seen is scheduled now, so an operator can rotate
    /// by dropping a key in as well as with `keys rotate` (OUT-4).
    static func openKeyring(
        _ config: LogoutdConfiguration,
        database: any KeyScheduleStore,
        now: Timestamp,
        logger: Logger
    ) async throws -> SigningKeyring {
        let files = try SigningKeyStore.open(
            directory: config.keysDirectory,
            credentialsDirectory: config.credentialsDirectory,
            now: now
        )
        let schedule = KeySchedule(overlap: config.rotationOverlap)
        let records = try await database.scheduledKeys()
        var known: [KeySchedule.Key] = []
        for record in records {
            guard let algorithm = SigningAlgorithm(rawValue: record.algorithm) else { continue }
            known.append(
                KeySchedule.Key(
                    keyID: record.keyID,
                    algorithm: algorithm,
                    publishedAt: record.publishedAt,
                    signsFrom: record.signsFrom
                )
            )
        }
        let added = SigningKeyring.scheduleNewKeys(in: files, known: known, schedule: schedule, now: now)
        let byID = Dictionary(files.keys.map { ($0.key.keyID, $0) }) { first, _ in first }
        try await database.recordSigningKeys(
            added.compactMap { key in
                byID[key.keyID].map { stored in
                    SigningKeyRecord(
                        keyID: key.keyID,
                        algorithm: key.algorithm.rawValue,
                        file: stored.fileName,
                        createdAt: stored.createdAt,
                        publishedAt: key.publishedAt,
                        signsFrom: key.signsFrom
                    )
                }
            }
        )
        for key in added where key.signsFrom > now {
            logger.notice(
                "new signing key published; it signs after the rotation overlap",
                metadata: [
                    "kid": "\(key.keyID)", "alg": "\(key.algorithm.rawValue)", "signs_from": "\(key.signsFrom.rfc3339)",
                ]
            )
        }
        return SigningKeyring(files: files, scheduled: known + added, schedule: schedule)
    }
}
