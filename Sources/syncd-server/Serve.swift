import ArgumentParser
import Foundation
import Logging
import S3Client
import ServiceLifecycle
import ServiceSupport
import SyncServer
import UnixSignals

/// `syncd-server serve` (the default): the server, until SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server.")

    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "Address to listen on (overrides server.host).") var host: String?
    @Option(help: "Port to listen on (overrides server.port).") var port: Int?

    func validate() throws {
        if let port, !(1...65_535).contains(port) { throw ValidationError("--port must be 1-65535") }
    }

    func run() async throws {
        // A configuration that cannot work exits with EX_CONFIG (78) and is not restarted; a
        // database or S3 that does not answer yet is an ordinary failure, restarted by systemd.
        var settings: ServerSettings
        let store: MetadataStore
        let runDatabase: (@Sendable () async -> Void)?
        do {
            settings = try storeOptions.settings()
            if let host { settings.host = host }
            if let port { settings.port = port }
        } catch {
            throw refuse(error)
        }
        do {
            (store, runDatabase) = try await MetadataStore.open(settings.database)
        } catch let error as StoreError {
            // A URL that cannot be a database is configuration; a file SQLite cannot open now
            // (a full disk, a lock) may open on the next start.
            if case .configuration = error { throw refuse(error) }
            throw error
        }
        ServiceLogging.bootstrap(identifier: "syncd-server", level: settings.logLevel)
        let logger = Logger(label: "syncd-server")
        logger.notice(
            "syncd-server \(BuildInfo.version) starting",
            metadata: ServerEvent.started.metadata([
                "version": "\(BuildInfo.version)", "database": "\(settings.database.hasPrefix("postgres") ? "postgresql" : "sqlite")",
            ])
        )
        let notifier = SystemdNotifier()
        let s3 = S3Client(
            configuration: S3Configuration(endpoint: settings.s3Endpoint, region: settings.s3Region),
            credentialProvider: CredentialProviderChain.default()
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let runDatabase { group.addTask { await runDatabase() } }
            try await store.migrate()
            let blobs = BlobStore(s3: s3, bucket: settings.s3Bucket)
            try await s3.createBucket(settings.s3Bucket)
            if settings.manageCORS {
                // The dashboard uploads and previews straight from the browser to the bucket.
                do {
                    try await blobs.allowBrowsers(from: ServerSettings.origin(of: settings.publicURL))
                } catch {
                    logger.warning(
                        "cannot set the bucket's CORS rules; browser uploads will fail until they allow this server's origin (or set s3.manage_cors = false and set them yourself)",
                        metadata: ["error": "\(error)"]
                    )
                }
            }
            var dependencies = ServerDependencies(
                store: store,
                blobs: blobs,
                publicBaseURL: settings.publicURL,
                maxShareLifetime: settings.maxShareDays.map { $0 * 86_400 },
                oidc: settings.oidc.map { OIDCProvider(settings: $0) },
                sessions: SessionKeys(secret: settings.sessionSecret, secureCookies: settings.publicURL.hasPrefix("https://"))
            )
            dependencies.trustedProxies = Set(settings.trustedProxies)
            dependencies.userQuota = settings.userQuota
            var collector = Collector(store: store, blobs: blobs)
            collector.versionRetention = settings.versionDays.map { $0 * 86_400 }
            // READY=1 once the database is migrated, the bucket answered and the port listens.
            let (host, port) = (settings.host.contains(":") ? "[\(settings.host)]" : settings.host, settings.port)
            let app = buildApplication(dependencies, host: settings.host, port: settings.port, logger: logger) {
                logger.notice("listening on \(host):\(port)", metadata: ServerEvent.ready.metadata(["address": "\(host):\(port)"]))
                notifier.markReady()
            }
            // Stopped in reverse order on SIGTERM: long-polls are answered first, so that the
            // server does not wait out their timeouts; then the collector; then the server.
            var running: [ServiceGroupConfiguration.ServiceConfiguration] = [
                .init(service: app), .init(service: CollectorService(collector: collector)),
                .init(
                    service: OnShutdown { graceful in
                        if graceful {
                            notifier.stopping()
                            logger.notice("stopping", metadata: ServerEvent.stopping.metadata())
                        }
                        store.notifier.shutdown()
                    }
                ),
            ]
            // Metrics on their own (loopback) listener, never on the public port.
            if let listen = settings.metricsListen {
                running.insert(.init(service: buildMetricsApplication(dependencies.metrics, at: listen, logger: logger)), at: 1)
            }
            let services = ServiceGroup(
                configuration: .init(
                    services: running,
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger
                )
            )
            group.addTask { try await services.run() }
            try await group.next()
            group.cancelAll()
        }
        // SQLite's connection must be closed before it goes (sqlite-nio traps otherwise).
        try await store.database.close()
    }

    /// A configuration that cannot work: said in the journal (under systemd, with its
    /// MESSAGE_ID) or on stderr, then exit 78.
    func refuse(_ error: any Error) -> ExitCode {
        let journald = JournaldLogHandler.journaldIsTheDestination()
        if journald {
            ServiceLogging.bootstrap(identifier: "syncd-server", level: .info)
            Logger(label: "syncd-server").critical("configuration error: \(error)", metadata: ServerEvent.configurationError.metadata())
        }
        return configurationFailure(error, storeOptions, logged: journald)
    }
}
