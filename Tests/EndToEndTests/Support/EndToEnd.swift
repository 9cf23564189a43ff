import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import S3Client
import SyncAPI
import SyncDaemon
import Testing

/// One end-to-end world: a real `syncd-server` process (SQLite, its own bucket on the test
/// SeaweedFS, which verifies every signature) and real `syncd` daemon processes on folders of
/// their own, all on loopback, all stopped by PID at the end.
final class EndToEnd: @unchecked Sendable {
    let dir: String
    let bucket: String
    let s3: S3Client
    private(set) var serverURL: String
    /// Where the server serves `/metrics` (`metrics.listen`; the public port does not).
    private(set) var metricsURL: String
    let binaries: String
    private var server: ChildProcess?
    private(set) var serverEnvironment: [String: String]
    private var daemons: [DaemonHandle] = []

    /// - Parameter serverSettings: more `SYNCD_*` settings for the server (e.g.
    ///   `SYNCD_SHARES_MAX_DAYS`).
    static func with(_ name: String, serverSettings: [String: String] = [:], _ body: (EndToEnd) async throws -> Void) async throws {
        let world = try await EndToEnd(name: name, serverSettings: serverSettings)
        do {
            try await body(world)
        } catch {
            await world.tearDown(printLogs: true)
            throw error
        }
        await world.tearDown(printLogs: false)
    }

    private init(name: String, serverSettings: [String: String]) async throws {
        let env = ProcessInfo.processInfo.environment
        guard let endpoint = env["SYNCD_TEST_SEAWEED_ENDPOINT"], let key = env["SYNCD_TEST_SEAWEED_ACCESS_KEY"],
            let secret = env["SYNCD_TEST_SEAWEED_SECRET_KEY"]
        else { throw HarnessError("SYNCD_TEST_SEAWEED_* is not set: run the tests with scripts/test") }
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-\(name)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        bucket = "e2e-\(UUID().uuidString.lowercased().prefix(20))"
        s3 = S3Client(
            configuration: S3Configuration(endpoint: endpoint),
            credentialProvider: StaticCredentialProvider(accessKeyId: key, secretAccessKey: secret)
        )
        // SYNCD_TEST_BINARIES: copies of syncd and syncd-server (scripts/soak runs on copies, so
        // that a build during a long soak does not swap the daemons under it).
        binaries = env["SYNCD_TEST_BINARIES"] ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        // A port found free can be taken by another test before the server binds it: the
        // first start then picks new ports (only for that reason, which the log names).
        (port, serverURL, metricsURL, serverEnvironment) = (0, "", "", [:])
        for attempt in 1...5 {
            let port = try Self.freePort()
            let metricsPort = try Self.freePort()
            self.port = port
            serverURL = "http://127.0.0.1:\(port)"
            metricsURL = "http://127.0.0.1:\(metricsPort)"
            serverEnvironment = Self.serverEnvironment(
                env: env,
                dir: dir,
                bucket: bucket,
                endpoint: endpoint,
                credentials: (key, secret),
                ports: (port, metricsPort),
                settings: serverSettings
            )
            do {
                try await startServer()
                return
            } catch  where attempt < 5 && (server?.log ?? "").contains("Address already in use") {
                continue
            }
        }
    }

    private static func serverEnvironment(
        env: [String: String],
        dir: String,
        bucket: String,
        endpoint: String,
        credentials: (key: String, secret: String),
        ports: (server: Int, metrics: Int),
        settings: [String: String]
    ) -> [String: String] {
        var serverEnvironment = [
            "SYNCD_DATABASE_URL": dir + "/metadata.sqlite", "SYNCD_AUTH_SESSION_SECRET": String(repeating: "e", count: 40),
            "SYNCD_S3_ENDPOINT": endpoint, "SYNCD_S3_BUCKET": bucket, "SYNCD_SERVER_PUBLIC_URL": "http://127.0.0.1:\(ports.server)",
            "AWS_ACCESS_KEY_ID": credentials.key, "AWS_SECRET_ACCESS_KEY": credentials.secret, "AWS_EC2_METADATA_DISABLED": "true",
            "PATH": env["PATH"] ?? "/usr/bin:/bin", "HOME": dir, "SYNCD_METRICS_LISTEN": "127.0.0.1:\(ports.metrics)",
        ]
        // Browser sign-in through the test OIDC provider, when it runs (loopback redirect URIs
        // match on any port).
        if let issuer = env["SYNCD_TEST_OIDC_ISSUER"], let client = env["SYNCD_TEST_OIDC_CLIENT_ID"],
            let secret = env["SYNCD_TEST_OIDC_CLIENT_SECRET"]
        {
            serverEnvironment["SYNCD_AUTH_ISSUER"] = issuer
            serverEnvironment["SYNCD_AUTH_CLIENT_ID"] = client
            serverEnvironment["SYNCD_AUTH_CLIENT_SECRET"] = secret
            serverEnvironment["SYNCD_AUTH_ALLOWED_EMAILS"] = "alice@example.org"
        }
        return serverEnvironment.merging(settings) { _, new in new }
    }

    private var port: Int

    /// Starts the server (again, after `stopServer` or `crashServer`: same port, same
    /// database) and waits until it is ready. `attempts`: a server whose start fails (S3 behind a
    /// fault proxy refused its bucket check, say) is started again, this many times in all.
    func startServer(attempts: Int = 1) async throws {
        for attempt in 1...max(1, attempts) {
            let process = try ChildProcess(
                binaries + "/syncd-server",
                ["serve", "--host", "127.0.0.1", "--port", String(port)],
                environment: serverEnvironment,
                log: dir + "/server.log",
                name: "syncd-server"
            )
            server = process
            do {
                try await waitUntil("syncd-server answers", timeout: .seconds(30)) {
                    if !process.isRunning { throw HarnessError("syncd-server exited while starting") }
                    return
                        (try? await HTTPClient.shared.execute(HTTPClientRequest(url: self.serverURL + "/readyz"), timeout: .seconds(2)).status.code)
                        == 200
                }
                return
            } catch {
                await process.crash()
                if attempt >= attempts { throw error }
            }
        }
    }

    /// Starts the server if it is not running (after a crash, say).
    func startServerIfStopped() async throws {
        if !(server?.isRunning ?? false) { try await startServer(attempts: 10) }
    }

    /// `kill -9` of the server, as a crash or an OOM kill would.
    func crashServer() async {
        await server?.crash()
    }

    /// `syncd-server` with this world's settings (an admin command), its output and exit status
    /// (a wait status: `exit(n)` is `n << 8`). `environment`: settings changed or added (an
    /// empty value removes one).
    func serverCommand(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32?, output: String) {
        let process = try serverProcess(arguments, environment: environment)
        let status = await process.waitForExit(timeout: .seconds(120))
        return (status, process.log)
    }

    /// A `syncd-server` process with this world's settings, changed by `environment`.
    func serverProcess(_ arguments: [String], environment: [String: String] = [:]) throws -> ChildProcess {
        try ChildProcess(
            binaries + "/syncd-server",
            arguments,
            environment: serverEnvironment.merging(environment) { $1 }.filter { !$0.value.isEmpty },
            log: dir + "/admin-\(UUID().uuidString.prefix(6)).log",
            name: "syncd-server \(arguments.first ?? "")"
        )
    }

    private func tearDown(printLogs: Bool) async {
        for daemon in daemons { await daemon.process?.stop() }
        await server?.stop()
        if printLogs {
            for daemon in daemons {
                print("---- \(daemon.name) log (last 60 lines)\n" + daemon.log.split(separator: "\n").suffix(60).joined(separator: "\n"))
            }
            print("---- server log (last 40 lines)\n" + (server?.log ?? "").split(separator: "\n").suffix(40).joined(separator: "\n"))
        }
        try? await s3.emptyBucket(bucket)
        for upload in (try? await s3.listMultipartUploads(bucket: bucket)) ?? [] {
            try? await s3.abortMultipartUpload(bucket: bucket, key: upload.key, uploadId: upload.uploadId)
        }
        try? await s3.deleteBucket(bucket)
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Stops the server (SIGTERM), as an outage would look to the daemons.
    func stopServer() async {
        await server?.stop()
    }

    /// A device token for `email` (the user is created), as `syncd-server admin` issues it.
    func issueToken(email: String = "alice@example.org", device: String = "test") async throws -> String {
        let process = try ChildProcess(
            binaries + "/syncd-server",
            ["admin", "issue-token", "--email", email, "--device", device],
            environment: serverEnvironment,
            log: dir + "/admin-\(UUID().uuidString.prefix(6)).log",
            name: "admin"
        )
        guard await process.waitForExit(timeout: .seconds(30)) == 0 else { throw HarnessError("issue-token failed: \(process.log)") }
        guard let token = process.log.split(separator: "\n").last(where: { $0.hasPrefix("sd_") }) else {
            throw HarnessError("no token in: \(process.log)")
        }
        return String(token)
    }

    /// A daemon on a new folder (not started until `start`). `server`: where it reaches the
    /// server (a fault proxy in front of it, say); the server itself by default.
    func daemon(_ name: String, token: String, config: String = "", server: String? = nil) throws -> DaemonHandle {
        let handle = try DaemonHandle(name: name, world: self, token: token, config: config, server: server ?? serverURL)
        daemons.append(handle)
        return handle
    }

    func api(_ token: String) -> ServerAPI { ServerAPI(baseURL: serverURL, token: token) }

    /// The user's files on the server, by path.
    func serverFiles(_ token: String) async throws -> [String: FileMetadata] {
        let listing: FileListing = try await api(token).get("/files")
        return Dictionary(uniqueKeysWithValues: listing.files.map { ($0.path, $0) })
    }

    /// A counter from the server's /metrics.
    func metric(_ name: String) async throws -> Double {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: metricsURL + "/metrics"), timeout: .seconds(5))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw HarnessError("cannot bind a loopback port") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// One `syncd run` on its own folder, configuration and state.
final class DaemonHandle: @unchecked Sendable {
    let name: String
    let folder: String
    let paths: DaemonPaths
    private let environment: [String: String]
    private let binary: String
    private(set) var process: ChildProcess?
    private let logPath: String

    init(name: String, world: EndToEnd, token: String, config: String, server: String) throws {
        self.name = name
        let home = world.dir + "/" + name
        folder = home + "/Sync"
        paths = DaemonPaths(configDir: home + "/config", stateDir: home + "/state")
        logPath = home + "/syncd.log"
        binary = world.binaries + "/syncd"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: paths.configDir, withIntermediateDirectories: true)
        try Credentials(server: server, token: token, deviceId: nil).save(to: paths.credentialsFile)
        let text = """
            [sync]
            folder = "\(folder)"
            host_name = "\(name)"
            \(config)
            """
        try text.write(toFile: paths.configFile, atomically: true, encoding: .utf8)
        environment = ["HOME": home, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
    }

    func start(environment extra: [String: String] = [:]) throws {
        process = try ChildProcess(
            binary,
            ["run", "--config-dir", paths.configDir, "--state-dir", paths.stateDir],
            environment: environment.merging(extra) { $1 },
            log: logPath,
            name: name
        )
    }

    func stop() async {
        let status = await process?.stop()
        #expect(status == 0, "\(name) should exit cleanly on SIGTERM (wait status \(String(describing: status)))")
    }

    func crash() async { await process?.crash() }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// `syncd status --json`, as the command sees it.
    func status() throws -> DaemonStatus {
        let response = try ControlClient.send(ControlRequest(command: .status), to: paths.controlSocket)
        guard let status = response.status else { throw HarnessError("no status: \(response.error ?? "")") }
        return status
    }

    /// Runs the real `syncd` command line (status, pause, resume) and returns its output.
    func command(_ arguments: [String]) async throws -> String {
        let out = paths.stateDir + "/command-\(UUID().uuidString.prefix(6)).out"
        let process = try ChildProcess(
            binary,
            arguments + ["--state-dir", paths.stateDir],
            environment: environment,
            log: out,
            name: "syncd \(arguments[0])"
        )
        guard await process.waitForExit(timeout: .seconds(30)) == 0 else { throw HarnessError("syncd \(arguments) failed: \(process.log)") }
        return process.log
    }

    /// Any `syncd` command with this daemon's configuration and state (`ls`, `share`, `run
    /// --dry-run`, …): its exit (wait) status and what it printed, stdout and stderr together.
    func cli(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> (status: Int32?, output: String) {
        let process = try ChildProcess(
            binary,
            arguments + ["--config-dir", paths.configDir, "--state-dir", paths.stateDir],
            environment: environment.merging(extra) { $1 },
            log: paths.configDir + "/cli-\(UUID().uuidString.prefix(6)).out",
            name: "syncd \(arguments.first ?? "")"
        )
        let status = await process.waitForExit(timeout: .seconds(60))
        return (status, process.log)
    }

    func path(_ relative: String) -> String { folder + "/" + relative }

    func write(_ relative: String, _ text: String) throws {
        let url = URL(fileURLWithPath: path(relative))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func read(_ relative: String) -> String? {
        (try? Data(contentsOf: URL(fileURLWithPath: path(relative)))).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Every file under the folder (relative path → content), skipping syncd's temporaries.
    func tree() -> [String: String] {
        var out: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return out }
        for case let relative as String in walker {
            var isFolder: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path(relative), isDirectory: &isFolder)
            if isFolder.boolValue || relative.contains(".syncd-tmp-") { continue }
            out[relative] = read(relative)
        }
        return out
    }
}

/// Polls `condition` every 100 ms until it holds; fails with `what` after `timeout`.
func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw HarnessError("timed out after \(timeout) waiting until \(what)")
}

/// Polls `value` like `waitUntil` until it is not nil, and returns it.
func waitFor<T>(_ what: String, timeout: Duration = .seconds(30), _ value: () async throws -> T?) async throws -> T {
    var found: T?
    try await waitUntil(what, timeout: timeout) {
        found = try await value()
        return found != nil
    }
    return found!
}

func identityHex(_ data: Data) -> String {
    ContentIdentity.identity(of: data)
}

/// The base64 SHA-256 of a one-block file, as its begin carries it.
func blockSha256(_ data: Data) -> String {
    ChecksumAlgorithm.sha256.checksum(of: data).base64
}
