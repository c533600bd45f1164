import Foundation
import Logging
import LogoutCore
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

/// The composition root: the only place that knows every module.
///
/// One `ServiceGroup`, whose order is the dependency order: the store first, then everything
/// that needs it (`DaemonServices`: assembled once the store runs, then its own services, with
/// the listeners last). Shutdown runs in reverse: listeners stop taking requests, the dispatcher
/// drains, HTTP clients and caches close, and the store closes last. Nothing is started before
/// the group or closed after it.
public enum Daemon {
    public struct StartupFailure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func run(configuration config: LogoutdConfiguration, logger: Logger) async throws {
        // Everything we create (database, WAL, keys, token) is for this service's user only.
        umask(0o077)
        let openFiles = FileLimit.raiseSoftLimitToHard()
        logger.info("open files limit", metadata: ["soft": "\(openFiles.soft)", "hard": "\(openFiles.hard)"])
        let backend: StoreBackend
        let tracing: (any Service)?
        do {
            tracing = try TracingBackend.bootstrap(config.tracing, logger: logger)
            backend = try await StoreBackend.open(config, logger: logger)
        } catch {
            throw StartupFailure(description: "\(error)")
        }
        // The exporter first, so that it stops last and sends the spans of the drain.
        let group = ServiceGroup(
            configuration: .init(
                services: (tracing.map { [ServiceGroupConfiguration.ServiceConfiguration(service: $0)] } ?? []) + [
                    .init(service: HangupNotice(logger: logger)),
                    .init(service: backend),
                    .init(service: DaemonServices(configuration: config, backend: backend, logger: logger)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                cancellationSignals: [],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch let failure as StartupFailure {
            throw failure
        } catch {
            logger.error("service group failed", metadata: ["error": "\(error)"])
            throw error
        }
        logger.notice("logoutd stopped")
    }
}
