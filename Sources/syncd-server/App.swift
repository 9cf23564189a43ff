import ArgumentParser
import Foundation
import Logging
import S3Client
import ServiceLifecycle
import SyncServer
import Synchronization
import TOMLConfig
import UnixSignals

@main
struct SyncdServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "syncd-server",
        abstract: "The syncd server: Google sign-in, the web dashboard, the metadata API the daemons use, presigned transfers, share links.",
        subcommands: [Serve.self, Admin.self],
        defaultSubcommand: Serve.self
    )
}

/// Where the settings come from: the TOML file, overridden by `SYNCD_*` variables.
struct StoreOptions: ParsableArguments {
    @Option(help: "The configuration file (env SYNCD_CONFIG; default /etc/syncd/syncd-server.toml if it exists).")
    var config: String?

    @Option(help: "SQLite file, or postgres://user:password@host:port/db (overrides database.url).")
    var database: String?

    func source() throws -> ConfigSource {
        let path = config ?? ProcessInfo.processInfo.environment["SYNCD_CONFIG"] ?? "/etc/syncd/syncd-server.toml"
        if config != nil, !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("the configuration file \(path) does not exist")
        }
        return try ConfigSource.load(path: path)
    }

    func open() async throws -> (store: MetadataStore, run: (@Sendable () async -> Void)?) {
        let setting = try database ?? source().string("database.url") ?? "syncd-server.sqlite"
        return try await MetadataStore.open(setting)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server.")

    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "Address to listen on (overrides server.host).") var host: String?
    @Option(help: "Port to listen on (overrides server.port).") var port: Int?

    func run() async throws {
        var settings: ServerSettings
        do {
            settings = try ServerSettings.load(storeOptions.source(), credentials: ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"])
        } catch let error as ConfigError {
            throw ValidationError("cannot start: \(error)")
        }
        if let host { settings.host = host }
        if let port { settings.port = port }
        if let database = storeOptions.database { settings.database = database }
        let (store, runDatabase) = try await MetadataStore.open(settings.database)
        let s3 = S3Client(
            configuration: S3Configuration(endpoint: settings.s3Endpoint, region: settings.s3Region),
            credentialProvider: CredentialProviderChain.default()
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let runDatabase { group.addTask { await runDatabase() } }
            try await store.migrate()
            let blobs = BlobStore(s3: s3, bucket: settings.s3Bucket)
            try await s3.createBucket(settings.s3Bucket)
            let logger = Logger(label: "syncd-server")
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
            let app = buildApplication(dependencies, host: settings.host, port: settings.port, logger: logger)
            // Stopped in reverse order on SIGTERM: long-polls are answered first, so that the
            // server does not wait out their timeouts; then the collector; then the server.
            var running: [ServiceGroupConfiguration.ServiceConfiguration] = [
                .init(service: app), .init(service: CollectorService(collector: collector)),
                .init(service: OnShutdown { store.notifier.shutdown() }),
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
}

struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage users and devices without a browser (headless backups, the local demo).",
        subcommands: [CreateUser.self, IssueToken.self, UnlinkUser.self, Collect.self]
    )

    struct CreateUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create-user", abstract: "Create (or rename) a user.")
        @OptionGroup var storeOptions: StoreOptions
        @Option(help: "The user's e-mail address.") var email: String
        @Option(help: "The user's display name.") var name: String

        func run() async throws {
            try await withStore(storeOptions) { store in
                let user = try await store.upsertUser(email: email, name: name)
                print("user \(user.id) <\(user.email)>")
            }
        }
    }

    struct UnlinkUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unlink-user",
            abstract: "Forget which identity-provider account a user signs in as; the next verified sign-in with the address links again.",
            discussion: """
                For a person who moved to another identity provider (or whose provider account was recreated):
                the account keeps its devices, files and sessions.
                """
        )
        @OptionGroup var storeOptions: StoreOptions
        @Option(help: "The user's e-mail address.") var email: String

        func run() async throws {
            let unlinked = Mutex<User?>(nil)
            try await withStore(storeOptions) { store in
                let user = try await store.unlinkUser(email: email)
                unlinked.withLock { $0 = user }
            }
            // Thrown only once the store is closed.
            guard let user = unlinked.withLock({ $0 }) else {
                throw ValidationError("no user has the address \(email); `syncd-server admin create-user` makes one")
            }
            print("user \(user.id) <\(user.email)> unlinked: the next verified sign-in as \(user.email) links it")
        }
    }

    struct Collect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Run one collector pass now (the server runs one every hour): abort abandoned uploads, empty old trash, delete unreferenced objects.",
            discussion: """
                Safe beside a running server with the default ages. Smaller ages are for a stopped system
                (an upload younger than --upload-age may still be in progress; an object younger than --grace
                may be about to be recorded).
                """
        )
        @OptionGroup var storeOptions: StoreOptions
        @Option(help: "Abort uploads not completed within this many seconds.") var uploadAge: Int = 86_400
        @Option(help: "Never delete objects younger than this many seconds.") var grace: Int = 3_600

        func validate() throws {
            guard (0...(10 * 365 * 86_400)).contains(uploadAge), (0...(10 * 365 * 86_400)).contains(grace) else {
                throw ValidationError("--upload-age and --grace take 0 to 315360000 seconds")
            }
        }

        func run() async throws {
            let settings: ServerSettings
            do {
                settings = try ServerSettings.load(storeOptions.source(), credentials: ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"])
            } catch let error as ConfigError {
                throw ValidationError("cannot collect: \(error)")
            }
            let s3 = S3Client(
                configuration: S3Configuration(endpoint: settings.s3Endpoint, region: settings.s3Region),
                credentialProvider: CredentialProviderChain.default()
            )
            var options = storeOptions
            if options.database == nil { options.database = settings.database }
            let (uploadAge, grace) = (TimeInterval(uploadAge), TimeInterval(grace))
            try await withStore(options) { store in
                var collector = Collector(store: store, blobs: BlobStore(s3: s3, bucket: settings.s3Bucket))
                collector.uploadLifetime = uploadAge
                collector.gracePeriod = grace
                collector.versionRetention = settings.versionDays.map { $0 * 86_400 }
                let report = try await collector.collect()
                print(
                    "aborted_uploads=\(report.abortedUploads) purged_trash=\(report.purgedTrashItems) purged_versions=\(report.purgedVersions) deleted_objects=\(report.deletedObjects) rehashed_contents=\(report.rehashedContents)"
                )
            }
        }
    }

    struct IssueToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue-token",
            abstract: "Issue a device token for a user; printed once, stored only as a hash."
        )
        @OptionGroup var storeOptions: StoreOptions
        @Option(help: "The user's e-mail address (created if new).") var email: String
        @Option(help: "A name for the device, shown in the device list.") var device: String

        func run() async throws {
            try await withStore(storeOptions) { store in
                let user = try await store.upsertUser(email: email, name: email)
                let (_, token) = try await store.createDevice(userId: user.id, name: device)
                print(token)
            }
        }
    }
}

/// Runs `body` with a migrated store, its connection pool running for the duration.
func withStore(_ options: StoreOptions, _ body: @escaping @Sendable (MetadataStore) async throws -> Void) async throws {
    let (store, run) = try await options.open()
    try await withThrowingTaskGroup(of: Void.self) { group in
        if let run { group.addTask { await run() } }
        try await store.migrate()
        try await body(store)
        group.cancelAll()
    }
    try await store.database.close()
}

/// Runs `action` when the service group starts shutting down.
struct OnShutdown: Service {
    let action: @Sendable () -> Void

    func run() async throws {
        try? await gracefulShutdown()
        action()
    }
}
