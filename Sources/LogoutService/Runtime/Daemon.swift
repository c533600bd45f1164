import Foundation
import Hummingbird
import Logging
import LogoutCore
import LogoutHTTP
import LogoutJWT
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The composition root: the only place that knows every module.
///
/// Start order is the dependency order: lock, database (migrations), keys, then the services
/// in one `ServiceGroup` — dispatcher and maintenance first, listeners last — so shutdown runs in
/// reverse: listeners stop taking requests before the dispatcher drains.
public enum Daemon {
    public struct StartupFailure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func run(configuration config: LogoutdConfiguration, logger: Logger) async throws {
        let openFiles = FileLimit.raiseSoftLimitToHard()
        logger.info("open files limit", metadata: ["soft": "\(openFiles.soft)", "hard": "\(openFiles.hard)"])
        let components: Components
        do {
            components = try await Components.assemble(configuration: config, logger: logger)
        } catch {
            throw StartupFailure(description: "\(error)")
        }
        let listening = Atomic<Int>(0)
        let (listenersBound, allBound) = AsyncStream<Void>.makeStream()
        let listenerBound: @Sendable () -> Void = {
            if listening.add(1, ordering: .relaxed).newValue == 2 {
                allBound.yield()
                allBound.finish()
            }
        }
        let publicApp = Application(
            router: components.publicRouter(listenersReady: { listening.load(ordering: .relaxed) == 2 }),
            server: config.publicLimits.server,
            configuration: .init(
                address: bindAddress(config.publicListen),
                serverName: nil,
                backlog: 1024,
                availableConnectionsDelegate: config.publicLimits.connectionCap
            ),
            onServerRunning: { channel in
                listenerBound()
                logger.notice(
                    "public listener ready",
                    metadata: ["address": "\(channel.localAddress?.description ?? "?")"]
                )
            },
            logger: logger
        )
        let adminApp = Application(
            router: components.adminRouter(),
            server: config.adminLimits.server,
            configuration: .init(
                address: bindAddress(config.adminListen),
                serverName: nil,
                availableConnectionsDelegate: config.adminLimits.connectionCap
            ),
            onServerRunning: { channel in
                listenerBound()
                logger.notice(
                    "admin listener ready",
                    metadata: ["address": "\(channel.localAddress?.description ?? "?")"]
                )
            },
            logger: logger
        )
        if case .unix(let path) = config.adminListen {
            try? FileManager.default.removeItem(atPath: path)
        }

        // Last, so a graceful stop reaches it first: `STOPPING=1` goes out at once.
        var systemd: [ServiceGroupConfiguration.ServiceConfiguration] = []
        let environment = ProcessInfo.processInfo.environment
        if let notifier = SystemdNotifier(environment: environment) {
            let service = SystemdService(
                notifier: notifier,
                watchdog: SystemdNotifier.watchdogInterval(environment: environment),
                listenersBound: listenersBound,
                heartbeat: components.heartbeat,
                wakeDispatcher: { [wakers = components.wakers] in wakers.all() },
                logger: logger
            )
            systemd.append(.init(service: service))
        }
        var listeners: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let shared = components.backend.shared {
            listeners.append(.init(service: QueueListener(store: shared, wakers: components.wakers)))
            listeners.append(
                .init(service: RegistryListener(store: shared, directory: components.directory, logger: logger))
            )
            listeners.append(
                .init(
                    service: KeySync(
                        store: shared,
                        secrets: components.secrets,
                        configuration: config,
                        keys: components.keys,
                        logger: logger
                    )
                )
            )
        }
        let group = ServiceGroup(
            configuration: .init(
                services: listeners + [
                    .init(service: components.dispatcher),
                    .init(service: components.revocations),
                    .init(service: components.maintenance),
                    .init(service: components.rejectionLog),
                    .init(service: components.metricsCollector),
                    .init(service: adminApp),
                    .init(service: publicApp),
                ] + systemd,
                gracefulShutdownSignals: [.sigterm, .sigint],
                cancellationSignals: [],
                logger: logger
            )
        )
        logger.notice(
            "logoutd starting",
            metadata: [
                "issuer": "\(config.issuer)", "database": "\(components.backend.location)",
                "keys": "\(components.keys.publishedJWKS(now: .now).count)",
            ]
        )
        do {
            try await group.run()
        } catch {
            logger.error("service group failed", metadata: ["error": "\(error)"])
            await components.shutdown(logger: logger)
            throw error
        }
        await components.shutdown(logger: logger)
        logger.notice("logoutd stopped")
    }

    static func bindAddress(_ address: ListenAddress) -> BindAddress {
        switch address {
        case .tcp(let host, let port): return .hostname(host, port: port)
        case .unix(let path): return .unixDomainSocket(path: path)
        }
    }
}
