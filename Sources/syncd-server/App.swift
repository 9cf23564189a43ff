import ArgumentParser
import Foundation
import S3Client
import SyncServer

@main
struct SyncdServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "syncd-server",
        abstract: "The syncd server: metadata API, presigned transfers (sign-in and the dashboard come next).",
        subcommands: [Serve.self, Admin.self],
        defaultSubcommand: Serve.self
    )
}

/// Settings shared by every command; each falls back to an environment variable.
struct StoreOptions: ParsableArguments {
    @Option(help: "SQLite file, or postgres://user:password@host:port/db (env SYNCD_DATABASE).")
    var database: String?

    func open() async throws -> (store: MetadataStore, run: (@Sendable () async -> Void)?) {
        guard let setting = database ?? ProcessInfo.processInfo.environment["SYNCD_DATABASE"] else {
            throw ValidationError("no database: pass --database or set SYNCD_DATABASE (an SQLite path or a postgres:// URL)")
        }
        return try await MetadataStore.open(setting)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server.")

    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(help: "S3 endpoint (env SYNCD_S3_ENDPOINT), e.g. https://s3.eu-west-1.amazonaws.com.") var s3Endpoint: String?
    @Option(help: "S3 region (env SYNCD_S3_REGION).") var s3Region: String?
    @Option(help: "S3 bucket (env SYNCD_S3_BUCKET).") var s3Bucket: String?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let endpoint = s3Endpoint ?? env["SYNCD_S3_ENDPOINT"], let bucket = s3Bucket ?? env["SYNCD_S3_BUCKET"] else {
            throw ValidationError("no S3 bucket: pass --s3-endpoint and --s3-bucket or set SYNCD_S3_ENDPOINT and SYNCD_S3_BUCKET")
        }
        let (store, runDatabase) = try await storeOptions.open()
        let s3 = S3Client(
            configuration: S3Configuration(endpoint: endpoint, region: s3Region ?? env["SYNCD_S3_REGION"] ?? "us-east-1"),
            credentialProvider: CredentialProviderChain.default())
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let runDatabase { group.addTask { await runDatabase() } }
            try await store.migrate()
            let blobs = BlobStore(s3: s3, bucket: bucket)
            try await s3.createBucket(bucket)
            let app = buildApplication(ServerDependencies(store: store, blobs: blobs), host: host, port: port)
            group.addTask { try await app.runService() }
            group.addTask { try await CollectorService(collector: Collector(store: store, blobs: blobs)).run() }
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
        subcommands: [CreateUser.self, IssueToken.self])

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

    struct IssueToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue-token", abstract: "Issue a device token for a user; printed once, stored only as a hash.")
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
