import Foundation
import LogoutCore
import LogoutJWT
import TestSupport
import Testing

/// Keys from `keys.dir` and from systemd credentials, on one schedule (OUT-4, SEC-2).
@Suite struct SigningKeyringTests {
    static let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)

    @Test func aCredentialKeyIsPublishedFirstAndNeverDeleted() throws {
        let directory = TemporaryDirectory()
        let credentials = TemporaryDirectory()
        var files = try SigningKeyStore.open(directory: directory.path, now: Self.now)
        let generated = try #require(files.keys.first { $0.key.algorithm == .es256 })
        // An operator hands over a key as a credential (`LoadCredential=`), as systemd does: 0400.
        var staging = try SigningKeyStore.open(directory: TemporaryDirectory().path, now: Self.now)
        let handed = try staging.add(try SigningKey.generate(.es256), now: Self.now + .seconds(1))
        let source = staging.directory + "/" + handed.fileName
        let target = credentials.file("signing-keys_" + handed.fileName)
        try FileManager.default.copyItem(atPath: source, toPath: target)
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: target)
        files = try SigningKeyStore.open(
            directory: directory.path,
            credentialsDirectory: credentials.path,
            now: Self.now
        )
        #expect(files.keys.first { $0.key.keyID == handed.key.keyID }?.isCredential == true)

        let schedule = KeySchedule(overlap: .seconds(60))
        let first = SigningKeyring.scheduleNewKeys(in: files, known: [], schedule: schedule, now: Self.now)
        let keyring = SigningKeyring(files: files, scheduled: first, schedule: schedule)
        // The generated key came first and signs; the credential is published, next.
        #expect(keyring.signingKey(.es256, now: Self.now)?.keyID == generated.key.keyID)
        let published = Set(keyring.publishedJWKS(now: Self.now).compactMap { $0["kid"] })
        #expect(published.contains(handed.key.keyID))
        #expect(keyring.signingKey(.es256, now: Self.now + .seconds(60))?.keyID == handed.key.keyID)
        // Once the generated key retires, its file goes; the credential's never would.
        #expect(try keyring.removeRetired(now: Self.now + .seconds(120)) == [generated.key.keyID])
        #expect(!FileManager.default.fileExists(atPath: directory.file(generated.fileName)))
        #expect(FileManager.default.fileExists(atPath: target))
    }

    @Test func aCredentialReadableByOthersStopsTheStart() throws {
        let credentials = TemporaryDirectory()
        var staging = try SigningKeyStore.open(directory: TemporaryDirectory().path, now: Self.now)
        let handed = try staging.add(try SigningKey.generate(.edDSA), now: Self.now)
        let target = credentials.file(handed.fileName)
        try FileManager.default.copyItem(atPath: staging.directory + "/" + handed.fileName, toPath: target)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: target)
        let refusal = #expect(throws: SecretBox.Failure.self) {
            try SigningKeyStore.open(directory: TemporaryDirectory().path, credentialsDirectory: credentials.path)
        }
        // The refusal names the file, why, and the fix; not any other trouble with the key.
        #expect(refusal?.description.hasPrefix("the signing key \(target) is accessible by group or others") == true)
        #expect(refusal?.description.contains("(mode 644)") == true)
        #expect(refusal?.description.hasSuffix("run: chmod 600 \(target)") == true)
    }

    /// The signing key is kept between mints while the schedule's answer holds: every change of
    /// keys or schedule, and a clock outside the kept window, must decide again.
    @Test func theSigningKeyFollowsEveryChangeOfTheSchedule() throws {
        let now = Self.now
        let files = try SigningKeyStore.open(directory: TemporaryDirectory().path, now: now)
        let first = try #require(files.keys.first { $0.key.algorithm == .es256 }).key.keyID
        let schedule = KeySchedule(overlap: .seconds(60))
        let keyring = SigningKeyring(
            files: files,
            scheduled: SigningKeyring.scheduleNewKeys(in: files, known: [], schedule: schedule, now: now),
            schedule: schedule
        )
        #expect(keyring.signingKey(.es256, now: now + .seconds(10))?.keyID == first)
        // A key added for later leaves the answer until its instant, then takes over.
        let second = try keyring.add(try SigningKey.generate(.es256), signsFrom: now + .seconds(60), now: now).1.keyID
        #expect(keyring.signingKey(.es256, now: now + .seconds(10))?.keyID == first)
        #expect(keyring.signingKey(.es256, now: now + .seconds(60))?.keyID == second)
        // `keys rotate --now` moves the new key's instant earlier: the kept answer goes with it.
        #expect(keyring.signingKey(.es256, now: now + .seconds(10))?.keyID == first)
        keyring.setSignsFrom(keyID: second, to: now + .seconds(5))
        #expect(keyring.signingKey(.es256, now: now + .seconds(10))?.keyID == second)
        // A clock stepped back before both keys' instants: the earliest signs.
        #expect(keyring.signingKey(.es256, now: now - .seconds(1_000))?.keyID == first)
        #expect(keyring.signingKey(.es256, now: now + .seconds(10))?.keyID == second)
        // Another replica's schedule taken over: its instants decide.
        let entries = keyring.entries(now: now)
        keyring.replace(
            files: files,
            scheduled: entries.filter { $0.stored.key.keyID == first }.map(\.status.key)
        )
        #expect(keyring.signingKey(.es256, now: now + .seconds(10))?.keyID == first)
    }
}
