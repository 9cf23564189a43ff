import ArgumentParser
import Foundation
import S3Client
import SyncServer

/// `syncd-server check-config`: what `serve` would need, checked without serving: the file and
/// the environment, then the database (reachable, which migrations it still needs), S3 (the
/// bucket answers a listing), and the identity provider (its discovery document). Exits 0 when
/// all is well, 78 (EX_CONFIG) when the configuration itself is wrong, 1 when something it
/// names does not answer.
struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check the configuration, the database, S3 and the sign-in provider, and say what is missing.",
        discussion: "Changes nothing: the database is not migrated and no bucket is created."
    )

    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        let (path, named) = storeOptions.path
        let settings: ServerSettings
        do {
            settings = try storeOptions.settings()
        } catch {
            report(false, "configuration", "\(error)")
            throw ExitCode(exitConfigurationError)
        }
        let file = FileManager.default.fileExists(atPath: path) ? path : (named ? path : "no file (\(path) is absent): defaults and SYNCD_* only")
        report(true, "configuration", "\(file); listening on \(settings.host):\(settings.port), public address \(settings.publicURL)")
        if settings.oidc == nil {
            report(
                true,
                "sign-in",
                "no OpenID Connect provider: only admin-issued device tokens work (set auth.issuer, auth.client_id, auth.client_secret)"
            )
        }
        var healthy = true
        switch await checkDatabase(settings.database) {
        case true?: break
        case false?: healthy = false
        case nil: throw ExitCode(exitConfigurationError)
        }
        healthy = await checkS3(settings) && healthy
        if let oidc = settings.oidc { healthy = await checkProvider(oidc) && healthy }
        if !healthy { throw ExitCode(1) }
    }

    func report(_ ok: Bool, _ what: String, _ detail: String) {
        print("\(ok ? "ok     " : "PROBLEM") \(what): \(detail)")
        fflush(nil)
    }

    /// nil: the setting cannot name a database (a configuration error).
    func checkDatabase(_ setting: String) async -> Bool? {
        let kind = setting.hasPrefix("postgres") ? "PostgreSQL" : "SQLite file \(setting)"
        // A check creates nothing: a database file that is not there yet is made at start.
        if !setting.hasPrefix("postgres"), !FileManager.default.fileExists(atPath: setting) {
            let folder = URL(fileURLWithPath: setting).deletingLastPathComponent().path
            let writable = FileManager.default.isWritableFile(atPath: folder)
            report(
                writable,
                "database",
                writable ? "\(kind) does not exist yet; created at start" : "\(kind) does not exist and \(folder) is not writable"
            )
            return writable
        }
        do {
            let (store, run) = try await MetadataStore.open(setting)
            let pending: [String]
            do {
                pending = try await withThrowingTaskGroup(of: [String]?.self) { group in
                    if let run {
                        group.addTask {
                            await run()
                            return nil
                        }
                    }
                    group.addTask { try await store.pendingMigrations() }
                    group.addTask {
                        try await Task.sleep(for: .seconds(15))
                        throw CheckTimeout(what: "no answer within 15 s")
                    }
                    while let result = try await group.next() {
                        if let result {
                            group.cancelAll()
                            return result
                        }
                    }
                    return []
                }
            } catch {
                try? await store.database.close()
                throw error
            }
            try await store.database.close()
            report(
                true,
                "database",
                "\(kind) answers; " + (pending.isEmpty ? "schema up to date" : "\(pending.count) migration(s) to apply at start")
            )
            return true
        } catch StoreError.configuration(let message) {
            report(false, "configuration", "database.url: \(message)")
            return nil
        } catch {
            report(false, "database", "\(kind): \(error)")
            return false
        }
    }

    func checkS3(_ settings: ServerSettings) async -> Bool {
        let s3 = S3Client(
            // A check answers within seconds: two tries of at most 5 s (a refused connection is
            // otherwise retried until the request's deadline).
            configuration: S3Configuration(
                endpoint: settings.s3Endpoint,
                region: settings.s3Region,
                retry: RetryPolicy(maxAttempts: 2),
                requestTimeout: .seconds(5)
            ),
            credentialProvider: CredentialProviderChain.default()
        )
        do {
            _ = try await s3.listObjectsV2(bucket: settings.s3Bucket, maxKeys: 1)
            report(true, "S3", "bucket \(settings.s3Bucket) at \(settings.s3Endpoint) answers")
            return true
        } catch {
            let missing = "\(error)".contains("NoSuchBucket")
            report(
                missing,
                "S3",
                missing
                    ? "\(settings.s3Endpoint) answers; the bucket \(settings.s3Bucket) does not exist yet (created at start)"
                    : "bucket \(settings.s3Bucket) at \(settings.s3Endpoint): \(error)"
            )
            return missing
        }
    }

    func checkProvider(_ oidc: OIDCSettings) async -> Bool {
        do {
            _ = try await OIDCProvider(settings: oidc).authorizationURL(
                redirectURI: "http://localhost/",
                state: "check",
                nonce: "check",
                verifier: "check"
            )
            report(true, "sign-in", "\(oidc.issuer) publishes its OpenID configuration")
            return true
        } catch {
            report(false, "sign-in", "\(oidc.issuer): \(error)")
            return false
        }
    }
}

struct CheckTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { what }
}
