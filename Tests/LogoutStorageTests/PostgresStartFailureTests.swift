import Foundation
import Logging
import TestSupport
import Testing

@testable import LogoutPostgres

/// The first connection of a start (`PostgresStore.open`): a server that will not let us in
/// fails the start within the operation timeout, with one line naming the cause and the fix.
/// postgres-nio's pool retried such a connection for ever, logging `PSQLError(code:
/// sslUnsupported)` at `info`, and the start waited. The test cluster offers no TLS.
@Suite struct PostgresStartFailureTests {
    /// The bound of the server that never answers, which the failure names.
    static let timeout = Duration.seconds(2)
    /// The bound of the others: their cause comes in the server's first answers, but a loaded
    /// 2-core machine (SCRAM authentication costs CPU on both sides) took more than 2 s for them.
    static let causeTimeout = Duration.seconds(10)
    /// What a loaded 2-core machine adds (a full suite on CI stretched a 2 s bound to 8.5 s), still
    /// far below what this test is for: the pool waited 60 s and more before naming no cause.
    static let margin = Duration.seconds(20)

    /// The failure of opening `url`, checked for the bound and for being one line.
    func failure(
        opening url: String,
        password: String? = nil,
        timeout: Duration = Self.causeTimeout,
        logger: Logger = Logger(label: "test")
    ) async throws -> PostgresConnectFailure {
        let location = try PostgresLocation(url: url)
        let started = ContinuousClock.now
        do {
            let store = try await PostgresStore.open(
                location,
                password: password,
                owner: "start",
                operationTimeout: timeout,
                logger: logger
            )
            store.close()
        } catch let failure as PostgresConnectFailure {
            let elapsed = ContinuousClock.now - started
            #expect(elapsed < timeout + Self.margin, "\(url) failed after \(elapsed)")
            #expect(!failure.description.contains("\n"))
            return failure
        }
        throw PostgresStore.Failure(description: "\(url) opened")
    }

    /// No `sslmode` means `verify-full`: a server without TLS is told as such with the fix,
    /// whichever mode asked for TLS.
    @Test(
        .enabled(if: TestPostgres.isAvailable, "needs PostgreSQL"),
        arguments: ["", "?sslmode=require", "?sslmode=verify-ca", "?sslmode=verify-full"]
    )
    func aServerWithoutTLSIsNamedWithTheFix(query: String) async throws {
        let url = try await TestPostgres.serverURL().replacingOccurrences(of: "?sslmode=disable", with: query)
        let location = try PostgresLocation(url: url)
        let failure = try await failure(opening: url)
        #expect(failure.cause == .noTLS)
        #expect(failure.description.hasPrefix("the PostgreSQL server at \(location.address) does not offer TLS"))
        #expect(failure.description.contains("add ?sslmode=disable to database.url for a loopback server"))
        #expect(failure.description.contains("enable TLS on the server"))
    }

    /// The password is told wrong or missing, never shown (SEC-1); the right one opens the
    /// store, so the server does ask this user for it.
    @Test(.enabled(if: TestPostgres.isAvailable, "needs PostgreSQL"))
    func aWrongOrMissingPasswordIsNamedWithoutShowingIt() async throws {
        let password = "right-" + UUID().uuidString
        let url = try await TestPostgres.passwordUser(password: password)
        let location = try PostgresLocation(url: url)
        let store = try await PostgresStore.open(
            location,
            password: password,
            owner: "start",
            operationTimeout: Self.causeTimeout,
            logger: Logger(label: "test")
        )
        store.close()

        let wrongPassword = "wrong-" + UUID().uuidString
        let wrong = try await failure(opening: url, password: wrongPassword)
        #expect(wrong.cause == .passwordRefused)
        #expect(wrong.description.contains("refuses the password of user \(location.user)"))
        #expect(wrong.description.contains("LOGOUTD_DATABASE_PASSWORD or the credential file database-password"))
        #expect(!wrong.description.contains(wrongPassword) && !wrong.description.contains(password))

        let missing = try await failure(opening: url)
        #expect(missing.cause == .passwordMissing)
        #expect(missing.description.contains("asks for the password of user \(location.user) and none is given"))
    }

    @Test(.enabled(if: TestPostgres.isAvailable, "needs PostgreSQL"))
    func anUnknownDatabaseIsNamed() async throws {
        let name = "missing_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let url = try await TestPostgres.serverURL().replacingOccurrences(of: "/postgres?", with: "/\(name)?")
        let failure = try await failure(opening: url)
        #expect(failure.cause == .unknownDatabase)
        #expect(failure.description.contains("has no database \(name): create it"))
    }

    @Test(.enabled(if: TestPostgres.isAvailable, "needs PostgreSQL"))
    func anUnknownUserIsNamed() async throws {
        let url = try await TestPostgres.serverURL().replacingOccurrences(of: "logoutd@", with: "nobody_here@")
        let failure = try await failure(opening: url)
        #expect(failure.cause == .userRefused)
        #expect(failure.description.contains("refuses user nobody_here"))
        #expect(failure.description.contains("does not exist"))
    }

    /// Nothing listens: the kernel says so at once, and so does the start.
    @Test func aClosedPortIsNamed() async throws {
        let port = freeLoopbackPort()
        let failure = try await failure(opening: "postgres://logoutd@127.0.0.1:\(port)/postgres?sslmode=disable")
        #expect(failure.cause == .refused)
        #expect(failure.description.hasPrefix("nothing listens at 127.0.0.1:\(port) (connection refused)"))
    }

    /// A server that takes the connection and never answers holds the start for the timeout,
    /// not longer.
    @Test func aServerThatNeverAnswersIsNamedAtTheTimeout() async throws {
        let silent = try SilentListener()
        let started = ContinuousClock.now
        let failure = try await failure(
            opening: "postgres://logoutd@127.0.0.1:\(silent.port)/postgres?sslmode=disable",
            timeout: Self.timeout
        )
        #expect(ContinuousClock.now - started >= Self.timeout - .milliseconds(100))
        #expect(failure.cause == .noAnswer)
        #expect(failure.description.contains("did not answer within 2 s"))
    }
}
