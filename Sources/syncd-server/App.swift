import ArgumentParser
import Foundation
import ServiceLifecycle
import ServiceSupport
import SyncServer
import TOMLConfig

@main
struct SyncdServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "syncd-server",
        abstract: "The syncd server: Google sign-in, the web dashboard, the metadata API the daemons use, presigned transfers, share links.",
        version: BuildInfo.version,
        subcommands: [Serve.self, CheckConfig.self, Admin.self],
        defaultSubcommand: Serve.self
    )
}

/// Where the settings come from: the TOML file, overridden by `SYNCD_*` variables.
struct StoreOptions: ParsableArguments {
    @Option(help: "The configuration file (env SYNCD_CONFIG; default /etc/syncd/syncd-server.toml if it exists).")
    var config: String?

    @Option(help: "SQLite file, or postgres://user:password@host:port/db (overrides database.url).")
    var database: String?

    /// The file named by --config or SYNCD_CONFIG must exist; the default one may be absent.
    var path: (path: String, named: Bool) {
        if let config { return (config, true) }
        if let path = ProcessInfo.processInfo.environment["SYNCD_CONFIG"], !path.isEmpty { return (path, true) }
        return ("/etc/syncd/syncd-server.toml", false)
    }

    func source() throws -> ConfigSource {
        let (path, named) = self.path
        if named, !FileManager.default.fileExists(atPath: path) {
            throw ConfigError("the configuration file \(path) does not exist")
        }
        return try ConfigSource.load(path: path)
    }

    /// The settings `serve` would run with: the file, the environment, systemd's credentials,
    /// and --database.
    func settings() throws -> ServerSettings {
        var settings = try ServerSettings.load(source(), credentials: ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"])
        if let database { settings.database = database }
        return settings
    }

    func open() async throws -> (store: MetadataStore, run: (@Sendable () async -> Void)?) {
        let setting = try database ?? source().string("database.url") ?? "syncd-server.sqlite"
        return try await MetadataStore.open(setting)
    }
}

/// sysexits' EX_CONFIG: the units say `RestartPreventExitStatus=78`, so that systemd does not
/// restart a server whose configuration is wrong every few seconds for ever.
let exitConfigurationError: Int32 = 78

/// Prints why the configuration cannot be used and exits with EX_CONFIG.
/// `logged`: the error is in the journal already (only the hint goes to stderr).
func configurationFailure(_ error: any Error, _ options: StoreOptions, logged: Bool = false) -> ExitCode {
    // As the unit runs it: systemd hands the secrets over in $CREDENTIALS_DIRECTORY.
    var check = "sudo CREDENTIALS_DIRECTORY=/etc/syncd/secrets syncd-server check-config"
    if let config = options.config { check += " --config \(config)" }
    if let database = options.database { check += " --database \(database)" }
    if !logged { FileHandle.standardError.write(Data("syncd-server: configuration error: \(error)\n".utf8)) }
    FileHandle.standardError.write(Data("syncd-server: `\(check)` checks the file, the environment, the database and S3\n".utf8))
    return ExitCode(exitConfigurationError)
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

/// Runs `action` when the service group starts shutting down: `true` for a graceful shutdown
/// (SIGTERM, SIGINT), `false` when the group is cancelled (another service failed).
struct OnShutdown: Service {
    let action: @Sendable (_ graceful: Bool) -> Void

    func run() async throws {
        do {
            try await gracefulShutdown()
            action(true)
        } catch {
            action(false)
        }
    }
}
