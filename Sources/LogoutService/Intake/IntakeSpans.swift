import LogoutCore

/// What became of a request on its intake span: the event it recorded, or the rule that refused
/// it (TRACE-1).
extension TraceSpan {
    func describe(_ result: IntakeResult) {
        switch result {
        case .accepted(let eventID, let deliveries):
            accepted(eventID)
            set("logoutd.deliveries", deliveries)
        case .duplicate:
            set("logoutd.outcome", "duplicate")
        case .rejected(let rejection):
            refused(rejection.rule)
        case .rateLimited:
            set("logoutd.outcome", "rate_limited")
            fail("rate limited")
        case .unavailable:
            set("logoutd.outcome", "unavailable")
            fail("unavailable")
        }
    }

    func describe(_ result: SETIntakeResult) {
        switch result {
        case .accepted(let eventID):
            accepted(eventID)
        case .rejected(let rejection):
            refused(rejection.rule)
        case .rateLimited:
            describe(IntakeResult.rateLimited(retryAfter: .zero))
        case .unavailable(let reason, let retryAfter):
            describe(IntakeResult.unavailable(reason: reason, retryAfter: retryAfter))
        }
    }

    func describe(_ outcome: FrontChannelAnswer.Outcome) {
        switch outcome {
        case .signedOut(let eventID):
            accepted(eventID)
        case .rejected(let rejection):
            refused(rejection.rule)
        case .rateLimited:
            describe(IntakeResult.rateLimited(retryAfter: .zero))
        case .unavailable(let reason, let retryAfter):
            describe(IntakeResult.unavailable(reason: reason, retryAfter: retryAfter))
        }
    }

    private func accepted(_ eventID: Int64?) {
        set("logoutd.outcome", eventID == nil ? "nothing_to_record" : "accepted")
        set("logoutd.event_id", eventID.map(Int.init))
    }

    private func refused(_ rule: String) {
        set("logoutd.outcome", "rejected")
        set("logoutd.rule", rule)
        fail("refused by rule \(rule)")
    }
}
