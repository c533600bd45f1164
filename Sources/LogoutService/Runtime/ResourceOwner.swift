import ServiceLifecycle

/// Holds something that must be closed (HTTP clients, the issuer key cache) for as long as the
/// service group runs, and closes it at the end of its own run.
///
/// Placed in a group before the services that use the resource, it is reached by the graceful
/// shutdown (which runs in reverse order) only after they have all stopped, so nothing is
/// closed under a user, and nothing is left to close after the group.
struct ResourceOwner: Service, CustomStringConvertible {
    /// What is owned, for the group's logs.
    let description: String
    let close: @Sendable () async -> Void

    init(_ description: String, close: @escaping @Sendable () async -> Void) {
        self.description = description
        self.close = close
    }

    func run() async throws {
        // Cancelled rather than stopped gracefully (the group tears down after a failure): the
        // resource is closed all the same.
        try? await gracefulShutdown()
        await close()
    }
}
