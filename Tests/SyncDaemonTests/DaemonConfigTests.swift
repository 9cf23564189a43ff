import Foundation
import S3Client
import SyncEngine
import TOMLConfig
import Testing

@testable import SyncDaemon

/// The daemon's settings: the documented example is what it reads, the environment wins, and
/// what cannot work is refused with the key that is wrong.
@Suite struct DaemonConfigTests {
    static let example: String = {
        let path = FileManager.default.currentDirectoryPath + "/config/syncd.toml"
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }()
    let paths = DaemonPaths(configDir: "/tmp/c", stateDir: "/tmp/s")
    let login = Credentials(server: "https://files.example.com", token: "sd_x", deviceId: "d1")

    @Test func theDocumentedExampleLoads() throws {
        #expect(!Self.example.isEmpty, "config/syncd.toml is missing")
        let source = ConfigSource(document: try TOMLDocument(parsing: Self.example), origin: "example", environment: [:])
        let settings = try DaemonSettings.load(config: source, paths: paths, credentials: login, environment: ["HOME": "/home/ada"])
        #expect(settings.folder == "/home/ada/Sync")
        #expect(settings.mode == .sync && settings.server == "https://files.example.com" && settings.token == "sd_x")
        #expect(settings.transferConcurrency == 16 && settings.partConcurrency == 4)
        #expect(settings.brake.maxFraction == 0.5 && settings.brake.minCount == 50)
        #expect(settings.rescanInterval == .seconds(3600))
    }

    @Test func environmentAndCommandLineWin() throws {
        let source = ConfigSource(
            document: try TOMLDocument(parsing: Self.example),
            origin: "example",
            environment: ["SYNCD_SYNC_MODE": "backup", "SYNCD_TRANSFERS_CONCURRENCY": "64", "SYNCD_SERVER_TOKEN": "sd_from_credential"]
        )
        let settings = try DaemonSettings.load(
            config: source,
            paths: paths,
            credentials: login,
            environment: ["HOME": "/home/ada"],
            folder: "/srv/data"
        )
        #expect(settings.mode == .backup && settings.transferConcurrency == 64 && settings.folder == "/srv/data")
        #expect(settings.token == "sd_from_credential", "a token from the environment (systemd LoadCredential) wins")
    }

    @Test func aTokenHandedOverBySystemdIsUsed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cred-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "sd_loaded\n".write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        let source = ConfigSource(environment: ["SYNCD_SERVER_URL": "https://files.example.com"])
        let settings = try DaemonSettings.load(
            config: source,
            paths: paths,
            credentials: nil,
            environment: ["CREDENTIALS_DIRECTORY": dir, "HOME": "/root"]
        )
        #expect(settings.token == "sd_loaded" && settings.server == "https://files.example.com")
    }

    @Test func whatCannotWorkIsRefusedByName() throws {
        func refusal(_ environment: [String: String], credentials: Credentials?) -> String {
            do {
                _ = try DaemonSettings.load(config: ConfigSource(environment: environment), paths: paths, credentials: credentials, environment: [:])
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal([:], credentials: nil).contains("syncd login --server"))
        #expect(refusal(["SYNCD_SYNC_MODE": "mirror"], credentials: login).contains("sync.mode"))
        #expect(refusal(["SYNCD_TRANSFERS_CONCURRENCY": "0"], credentials: login).contains("transfers.concurrency"))
        #expect(refusal(["SYNCD_BRAKE_MAX_FRACTION": "1.5"], credentials: login).contains("brake.max_fraction"))
        #expect(refusal(["SYNCD_SYNC_EXCLUDE": "Photos,../etc"], credentials: login).contains("sync.exclude names \"../etc\""))
        #expect(refusal(["SYNCD_TRANSFERS_MAX_UPLOAD_RATE": "1e30TB"], credentials: login).contains("transfers.max_upload_rate"))
    }

    /// The list `syncd exclude` keeps: each folder once, removed by name, and a file that is not
    /// a list of paths refused rather than read as empty (which would bring every folder back).
    @Test func theExcludedFoldersListKeepsEachFolderOnce() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("excluded-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let folders = ExcludedFolders(configured: [RelativePath("Archive")!], file: state + "/excluded-folders.json")
        #expect(try folders.all() == [RelativePath("Archive")!])
        let photos = try #require(ExcludedFolders.path("/Photos/2019/"))
        #expect(photos.string == "Photos/2019" && ExcludedFolders.path("/") == nil && ExcludedFolders.path("a/../b") == nil)
        #expect(try folders.update(photos, excluded: true))
        #expect(try !folders.update(photos, excluded: true), "once")
        let newline = try #require(RelativePath("two\nlines"))
        #expect(try folders.update(newline, excluded: true))
        #expect(try folders.all() == [RelativePath("Archive")!, photos, newline], "configured first, then the list")
        #expect(try folders.update(photos, excluded: false) && folders.added() == [newline])
        try Data("not json".utf8).write(to: URL(fileURLWithPath: folders.file))
        #expect(throws: ConfigError.self) { try folders.all() }
    }

    @Test func credentialsAreTheOwnersOnlyAndSurviveOddCharacters() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("creds-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let odd = Credentials(server: "https://files.example.com/a\"b\\c", token: "sd_tok\u{1}en", deviceId: nil)
        try odd.save(to: dir + "/credentials.toml")
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/credentials.toml")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let folderMode = try FileManager.default.attributesOfItem(atPath: dir)[.posixPermissions] as? Int
        #expect(folderMode == 0o700)
        #expect(try Credentials.load(from: dir + "/credentials.toml") == odd)
        #expect(try Credentials.load(from: dir + "/missing.toml") == nil)
    }

    @Test func bandwidthCapsReadLikePeopleWriteThem() throws {
        #expect(try DaemonSettings.rate("10MB", key: "k") == 10_000_000)
        #expect(try DaemonSettings.rate("10 MB/s", key: "k") == 10_000_000)
        #expect(try DaemonSettings.rate("512KiB", key: "k") == 524_288)
        #expect(try DaemonSettings.rate("1.5M", key: "k") == 1_500_000)
        #expect(try DaemonSettings.rate("2g", key: "k") == 2_000_000_000)
        #expect(
            try DaemonSettings.rate("unlimited", key: "k") == nil && DaemonSettings.rate("0", key: "k") == nil
                && DaemonSettings.rate(nil, key: "k") == nil
        )
        #expect { try DaemonSettings.rate("fast", key: "transfers.max_upload_rate") } throws: { "\($0)".contains("transfers.max_upload_rate") }
        #expect { try DaemonSettings.rate("10", key: "k") } throws: { "\($0)".contains("at least 1 KiB/s") }
        let source = ConfigSource(
            document: try TOMLDocument(parsing: Self.example),
            origin: "example",
            environment: ["SYNCD_TRANSFERS_MAX_UPLOAD_RATE": "2MB"]
        )
        let settings = try DaemonSettings.load(config: source, paths: paths, credentials: login, environment: ["HOME": "/h"])
        #expect(settings.maxUploadRate == 2_000_000 && settings.maxDownloadRate == nil)
    }

    @Test func theTokenBucketKeepsTheRate() {
        var bucket = BandwidthLimiter.TokenBucket(rate: 1000, capacity: 1000)
        #expect(bucket.reserve(1000, at: 0) == 0, "a second's worth goes at once")
        #expect(bucket.reserve(500, at: 0) == 0.5, "then the rate: 500 bytes wait half a second")
        #expect(bucket.reserve(500, at: 0.5) == 0.5, "the debt is paid off at the rate, in order")
        #expect(bucket.reserve(100, at: 10) == 0, "an idle bucket refills, up to its capacity")
        #expect(bucket.tokens == 900)
    }

    @Test func xdgLocations() {
        let standard = DaemonPaths.standard(environment: ["HOME": "/home/ada"])
        #expect(standard.configDir == "/home/ada/.config/syncd" && standard.stateDir == "/home/ada/.local/state/syncd")
        let xdg = DaemonPaths.standard(environment: ["HOME": "/home/ada", "XDG_CONFIG_HOME": "/cfg", "XDG_STATE_HOME": "/st"])
        #expect(xdg.credentialsFile == "/cfg/syncd/credentials.toml" && xdg.controlSocket == "/st/syncd/control.sock")
    }
}
