import LogoutCore
import Synchronization

/// Browser sessions of the delivery log page, opened by the login form with the admin token.
///
/// In memory on purpose: a restart signs everyone out, and nothing a browser holds is a
/// credential anywhere else (the cookie is a random id, never the admin token). Each session
/// carries its CSRF token, which every form posts back. A session ends at the end of its
/// lifetime, or earlier when it was not used for the idle timeout: a browser left signed in on
/// an unattended desk stops being a way in after half an hour, not after a working day.
public final class PageSessions: Sendable {
    public struct Session: Sendable, Equatable {
        public let id: String
        public let csrf: String
        public let expiresAt: Timestamp
        /// The last request's time plus the idle timeout.
        public var idleUntil: Timestamp
    }

    public static let cookieName = "logoutd_session"
    let lifetime: Duration
    let idleTimeout: Duration
    let capacity: Int
    /// 256 random bits, URL-safe: the composition root hands in the crypto library's generator,
    /// as it hands the pages their comparison of secrets.
    let newIdentifier: @Sendable () -> String
    private let sessions = Mutex<[String: Session]>([:])

    public init(
        lifetime: Duration = .seconds(8 * 3600),
        idleTimeout: Duration = .seconds(30 * 60),
        capacity: Int = 1000,
        newIdentifier: @escaping @Sendable () -> String
    ) {
        self.lifetime = lifetime
        self.idleTimeout = min(idleTimeout, lifetime)
        self.capacity = capacity
        self.newIdentifier = newIdentifier
    }

    public func open(now: Timestamp) -> Session {
        let session = Session(
            id: newIdentifier(),
            csrf: newIdentifier(),
            expiresAt: now + lifetime,
            idleUntil: now + idleTimeout
        )
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value.expiresAt > now && $0.value.idleUntil > now }
            // Full: the session closest to its end makes room (an admin, not the public, logs in).
            if sessions.count >= capacity, let oldest = sessions.min(by: { $0.value.expiresAt < $1.value.expiresAt }) {
                sessions[oldest.key] = nil
            }
            sessions[session.id] = session
        }
        return session
    }

    /// The session of `id`, still alive; finding it counts as its use (the idle clock restarts).
    public func find(_ id: String, now: Timestamp) -> Session? {
        sessions.withLock { sessions in
            guard var session = sessions[id] else { return nil }
            guard session.expiresAt > now, session.idleUntil > now else {
                sessions[id] = nil
                return nil
            }
            session.idleUntil = min(now + idleTimeout, session.expiresAt)
            sessions[id] = session
            return session
        }
    }

    public func close(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }
}
