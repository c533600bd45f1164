import Foundation
import Hummingbird
import Logging
import LogoutCore
import LogoutHTTP
import LogoutJWT
import ServiceLifecycle
import Synchronization

/// Everything of the daemon that needs the store running, as one service after the store's:
/// it assembles the components (migrations, keys, leases released) once the store runs, then
/// runs their services as a group of its own, the way Hummingbird's `Application` runs its
/// `beforeServerStarts` work and then its services.
///
/// The inner group's order is the dependency order: the owners of HTTP clients and caches, the
/// replicas' listeners, the dispatcher and the other loops, the admin and public listeners, and
/// systemd's notifier last, so that a graceful stop says `STOPPING=1` at once and the listeners
/// stop taking requests before the dispatcher drains. The outer group's graceful shutdown
/// reaches the inner one, which stops its services in reverse before this returns.
struct DaemonServices: Service {
    let configuration: LogoutdConfiguration
    let backend: StoreBackend
    let logger: Logger

    func run() async throws {
        let components: Components
        do {
            components = try await Components.assemble(configuration: configuration, backend: backend, logger: logger)
        } catch {
            throw Daemon.StartupFailure(description: "\(error)")
        }
        let group = ServiceGroup(
            configuration: .init(
                services: components.owners.map { .init(service: $0) } + services(components),
                logger: logger
            )
        )
        logger.notice(
            "logoutd starting",
            metadata: [
                "issuer": "\(configuration.issuer)", "database": "\(backend.location)",
                "keys": "\(components.keys.publishedJWKS(now: components.now()).count)",
            ]
        )
        try await group.run()
    }

    /// The loops and the listeners, in start order.
    func services(_ components: Components) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let config = configuration
        let logger = self.logger
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
                address: Self.bindAddress(config.publicListen),
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
                address: Self.bindAddress(config.adminListen),
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
        var replicas: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let shared = components.backend.shared {
            replicas.append(.init(service: QueueListener(store: shared, wakers: components.wakers)))
            replicas.append(
                .init(service: RegistryListener(store: shared, directory: components.directory, logger: logger))
            )
            replicas.append(
                .init(
                    service: KeySync(
                        store: shared,
                        secrets: components.secrets,
                        configuration: config,
                        keys: components.keys,
                        now: components.now,
                        logger: logger
                    )
                )
            )
        }
        return replicas + [
            .init(service: components.dispatcher),
            .init(service: components.revocations),
            .init(service: components.sharedSignals.fanOut),
            .init(service: components.sharedSignals.pushes),
            .init(service: components.sharedSignals.upstreams),
            .init(service: components.maintenance),
            .init(service: components.rejectionLog),
            .init(service: components.metricsCollector),
            .init(service: adminApp),
            .init(service: publicApp),
        ] + systemd
    }

    static func bindAddress(_ address: ListenAddress) -> BindAddress {
        switch address {
        case .tcp(let host, let port): return .hostname(host, port: port)
        case .unix(let path): return .unixDomainSocket(path: path)
        }
    }
}
