/// The rules of recording a logout (IN-12, IN-17, RES-2 to RES-5, BR-8, BR-9), written once for
/// both stores: each store reads an `IntakeSnapshot` inside its transaction, asks `plan`, and
/// writes the `IntakePlan` in the same transaction. No rule lives in a store's SQL.
public enum IntakePlanner {
    /// What the store must read for `logout`.
    public static func query(for logout: AcceptedLogout) -> IntakeQuery {
        let request = logout.request
        let filter: IntakeQuery.SessionFilter?
        // RES-2: with a `sid`, that upstream session (of that subject when `sub` is given too);
        // with only `sub`, every session of the subject; with neither, none.
        if request.sid != nil || request.sub != nil {
            filter = IntakeQuery.SessionFilter(sub: request.sub, sid: request.sid)
        } else {
            filter = nil
        }
        return IntakeQuery(replay: logout.replay, issuerName: request.issuerName, sessions: filter)
    }

    public static func plan(_ logout: AcceptedLogout, _ snapshot: IntakeSnapshot, now: Timestamp) -> IntakePlan {
        if let replay = logout.replay, let previous = snapshot.previous, previous.expiresAt > now {
            // IN-12: the same signed content is a retransmission; other content under the same
            // key is a conflict. A repeated `id_token_hint` records nothing at all (BR-9).
            guard previous.tokenHash == replay.tokenHash else {
                return .conflict(
                    log: NewEvent(
                        logout,
                        at: now,
                        outcome: .rejected,
                        reason: "IN-12: jti was already used by a different token"
                    )
                )
            }
            return .repeated(
                originalEventID: previous.eventID,
                log: replay.logsRepeats ? NewEvent(logout, at: now, outcome: .duplicate) : nil
            )
        }
        // RES-2: an expired session is not ended by a logout; it is simply over. A session
        // registered after the event a SET tells of is not one it names.
        let sessions = snapshot.sessions.filter { session in
            session.endedAt == nil && (session.expiresAt.map { $0 > now } ?? true)
                && (logout.sessionsRegisteredBy.map { session.createdAt <= $0 } ?? true)
        }
        if logout.requiresLiveSession && sessions.isEmpty { return .nothingToEnd }
        let deliveries = FanOutPlanner.plan(
            request: logout.request,
            sessions: sessions,
            relyingParties: snapshot.relyingParties,
            followers: snapshot.followers
        )
        let revocations = snapshot.issuerRevokes ? revocations(of: sessions, holding: snapshot.heldTokens) : []
        return .accept(
            AcceptedIntake(
                event: NewEvent(logout, at: now, outcome: .accepted, deliveries: deliveries.count),
                deliveries: deliveries,
                endedSessions: sessions.map(\.id),
                revocations: revocations,
                replay: logout.replay,
                wakesDispatchers: deliveries.contains { $0.skipReason == nil } || !revocations.isEmpty
            )
        )
    }

    /// BR-8: each ended session's refresh token first, then its access token once the refresh
    /// token is done (revoking the refresh token may revoke the access token with it).
    static func revocations(
        of sessions: [Session],
        holding held: [Int64: Set<RevocationTokenType>]
    )
        -> [PlannedRevocation]
    {
        var planned: [PlannedRevocation] = []
        for session in sessions {
            var queued = false
            for type in [RevocationTokenType.refreshToken, .accessToken] where held[session.id]?.contains(type) == true
            {
                planned.append(PlannedRevocation(sessionID: session.id, tokenType: type, afterPrevious: queued))
                queued = true
            }
        }
        return planned
    }
}
