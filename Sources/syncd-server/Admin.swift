import ArgumentParser
import Foundation
import S3Client
import SyncServer
import Synchronization

/// `syncd-server admin …`: the operator's commands, run beside (or without) the server.
struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage users and devices without a browser (headless backups, the local demo).",
        subcommands: [
            CreateUser.self, ListUsers.self, IssueToken.self, ListDevices.self, RevokeDevice.self, UnlinkUser.self, Collect.self,
        ]
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
                settings = try storeOptions.settings()
            } catch {
                throw configurationFailure(error, storeOptions)
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
