import AsyncHTTPClient
import Foundation
import S3Client
import SyncAPI
import SyncDaemon
import SyncEngine
import Testing

/// The whole system under crashes and faults (issue 12): devices of one account and a writer
/// through the API work at random, while daemons and the server are killed with `kill -9` at
/// random moments and fault proxies in front of S3 and of the server answer errors, reset
/// connections (before, during and after requests), stall and truncate. Then the faults stop and
/// the system must converge: identical trees everywhere, nothing any writer left lost,
/// conflicted copies only of files two writers shared, nothing waiting, and after the collector
/// no open upload and no object the account does not reference.
///
/// Driven by a seed (`SYNCD_SOAK_SEED`; printed, so a failure can be replayed — the choices
/// replay, the processes' timing does not). `SYNCD_SOAK_SECONDS` (default 45) is how long the
/// chaos lasts; `scripts/soak --minutes 30` is the long run.
@Suite(.serialized, .timeLimit(.minutes(90))) struct SoakTests {
    @Test func devicesAndTheServerConvergeThroughCrashesAndFaults() async throws {
        let settings = SoakSettings(ProcessInfo.processInfo.environment)
        print(
            "soak: seed \(settings.seed), \(settings.seconds) s, \(settings.devices) devices, fault rate \(settings.faultRate)"
                + " (replay: SYNCD_SOAK_SEED=\(settings.seed) SYNCD_SOAK_SECONDS=\(settings.seconds) scripts/test --filter SoakTests)"
        )
        let seaweed = try #require(ProcessInfo.processInfo.environment["SYNCD_TEST_SEAWEED_ENDPOINT"], "run through scripts/test")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("soak-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let s3Proxy = try FaultProxy(
            name: "s3",
            target: String(seaweed.dropFirst("http://".count)),
            flavor: "s3",
            seed: settings.seed,
            rate: settings.faultRate,
            log: scratch + "/s3-proxy.log"
        )
        defer { s3Proxy.stop() }
        try s3Proxy.faults(false)
        var report = SoakReport()
        do {
            try await EndToEnd.with("soak", serverSettings: ["SYNCD_S3_ENDPOINT": s3Proxy.url]) { world in
                let apiProxy = try FaultProxy(
                    name: "api",
                    target: String(world.serverURL.dropFirst("http://".count)),
                    flavor: "api",
                    seed: settings.seed &+ 1,
                    rate: settings.faultRate,
                    log: scratch + "/api-proxy.log"
                )
                defer { apiProxy.stop() }
                try apiProxy.faults(false)
                // Every log of the run (server, daemons, proxies) is kept for reading afterwards.
                defer { Soak.keepLogs(world: world, scratch: scratch, seed: settings.seed) }
                try await Soak(world: world, settings: settings, proxies: [s3Proxy, apiProxy], scratch: scratch).run(&report)
            }
        } catch {
            print("soak failed (seed \(settings.seed)):\n" + report.description)
            for log in ["s3-proxy.log", "api-proxy.log"] {
                let text = (try? String(contentsOfFile: scratch + "/" + log, encoding: .utf8)) ?? ""
                print("---- \(log) (last 20 lines)\n" + text.split(separator: "\n").suffix(20).joined(separator: "\n"))
            }
            throw error
        }
        print(report.description)
    }
}

struct SoakSettings: Sendable {
    var seed: UInt64
    var seconds: Int
    var devices: Int
    var faultRate: Double

    init(_ env: [String: String]) {
        seed = env["SYNCD_SOAK_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...999_999)
        seconds = env["SYNCD_SOAK_SECONDS"].flatMap { Int($0) }.map { min(max($0, 5), 24 * 3600) } ?? 45
        devices = env["SYNCD_SOAK_DEVICES"].flatMap { Int($0) }.map { min(max($0, 1), 6) } ?? 2
        faultRate = env["SYNCD_SOAK_FAULT_RATE"].flatMap { Double($0) }.map { min(max($0, 0), 0.5) } ?? 0.05
    }
}

/// The figures a soak prints.
struct SoakReport: CustomStringConvertible {
    var daemonKills = 0
    var serverKills = 0
    var operations: [String: Int] = [:]
    var racedWrites = 0
    var bigWrites = 0
    var faults: [String: [String: Int]] = [:]
    var secondsToConverge: Double?
    var files = 0
    var versionsChecked = 0
    var conflictedCopies: [String] = []
    var openUploadsBeforeCollect = 0
    var collector = ""

    var description: String {
        let faultText = faults.sorted { $0.key < $1.key }.map { name, counts in
            "\(name): " + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }.joined(separator: "; ")
        return """
            soak figures: \(daemonKills) daemon kills, \(serverKills) server kills; operations \(operations.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")) (\(bigWrites) of 9 MiB, \(racedWrites) raced by a download)
            faults injected — \(faultText)
            converged after the faults stopped in \(secondsToConverge.map { String(format: "%.1f s", $0) } ?? "—"), \(files) entries; \(versionsChecked) last versions of the writers found in the account; \(conflictedCopies.count) conflicted copies (of files several writers shared), e.g. \(conflictedCopies.prefix(3))
            open multipart uploads before the collector: \(openUploadsBeforeCollect); collector: \(collector)
            """
    }
}

/// One soak: the world, its writers and its chaos.
struct Soak {
    let world: EndToEnd
    let settings: SoakSettings
    let proxies: [FaultProxy]
    let scratch: String

    func run(_ report: inout SoakReport) async throws {
        var random = SoakRandom(seed: settings.seed)
        let ledger = SoakLedger()
        let deviceWriters = (0..<settings.devices).map { "d\($0)" }
        var daemons: [DaemonHandle] = []
        for name in deviceWriters {
            let token = try await world.issueToken(device: name)
            daemons.append(try world.daemon(name, token: token, server: proxies[1].url))
        }
        let apiToken = try await world.issueToken(device: "dashboard")
        let journal = try Journal(path: scratch + "/api-writer.sqlite")
        let apiWriter = APIWriter(
            remote: ServerRemote(api: world.api(apiToken), journal: journal, board: TransferBoard()),
            api: world.api(apiToken),
            scratch: scratch,
            seed: settings.seed,
            ledger: ledger
        )
        for daemon in daemons { try daemon.start() }

        // The chaos.
        for proxy in proxies { try proxy.faults(true) }
        let deadline = ContinuousClock.now + .seconds(settings.seconds)
        await withTaskGroup(of: Void.self) { group in
            for (i, daemon) in daemons.enumerated() {
                let writer = DeviceWriter(writer: deviceWriters[i], folder: daemon.folder, seed: settings.seed, ledger: ledger)
                let stream = SoakRandom(seed: random.next())
                group.addTask { await writer.run(until: deadline, random: stream) }
            }
            let stream = SoakRandom(seed: random.next())
            group.addTask { await apiWriter.run(until: deadline, random: stream) }
            var chaos = SoakRandom(seed: random.next())
            while ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(Int.random(in: 1500...5000, using: &chaos)))
                guard ContinuousClock.now < deadline else { break }
                if chaos.chance(0.25) {
                    await world.crashServer()
                    report.serverKills += 1
                    try? await Task.sleep(for: .milliseconds(Int.random(in: 200...1500, using: &chaos)))
                    try? await world.startServer(attempts: 10)
                } else {
                    let daemon = daemons.randomElement(using: &chaos)!
                    await daemon.crash()
                    report.daemonKills += 1
                    try? await Task.sleep(for: .milliseconds(Int.random(in: 100...2000, using: &chaos)))
                    try? daemon.start()
                }
            }
            await group.waitForAll()
        }

        // The faults stop; everything runs.
        for proxy in proxies { try proxy.faults(false) }
        for (proxy, name) in zip(proxies, ["s3", "api"]) { report.faults[name] = try proxy.stats() }
        try await world.startServerIfStopped()
        for daemon in daemons where !(daemon.process?.isRunning ?? false) { try daemon.start() }
        let snapshot = ledger.snapshot
        report.operations = snapshot.operations
        report.racedWrites = snapshot.racedWrites
        report.bigWrites = snapshot.bigWrites

        // Convergence: every device holds the server's tree, and says it has nothing to do.
        let stopped = ContinuousClock.now
        var lastDifference = ""
        var agreed = 0
        while agreed < 2 {
            guard ContinuousClock.now - stopped < .seconds(300) else {
                throw HarnessError("no convergence within 300 s of the faults stopping: \(lastDifference)")
            }
            try await Task.sleep(for: .seconds(1))
            if let difference = try await differences(daemons, token: apiToken) {
                lastDifference = difference
                agreed = 0
            } else {
                agreed += 1
            }
        }
        report.secondsToConverge = (ContinuousClock.now - stopped) / .seconds(1) - 1
        let files = try await world.serverFiles(apiToken)
        report.files = files.count

        // Nothing any writer left is lost: each one's last content at each path is still in the
        // account — current, in some file's history or in the trash.
        let referenced = try referencedContent()
        var lost: [String] = []
        for (writer, paths) in snapshot.last {
            for (path, hash) in paths {
                if referenced.hashes.contains(hash) { report.versionsChecked += 1 } else { lost.append("\(writer) \(path) \(hash.prefix(12))") }
            }
        }
        #expect(lost.isEmpty, "versions lost (writer, path, identity): \(lost.sorted())")

        // Conflicted copies only where two writers raced: never of a file only one writer wrote.
        let writers = deviceWriters + ["api"]
        report.conflictedCopies = files.keys.filter { $0.contains(" (conflicted copy from ") }.sorted()
        let spurious = report.conflictedCopies.filter { SoakNames.owner(of: $0, writers: writers) != nil }
        #expect(spurious.isEmpty, "conflicted copies of files only one writer ever wrote: \(spurious)")
        for copy in spurious { print(Self.history(of: SoakNames.original(of: copy), daemons: daemons, world: world)) }

        // Storage: with the system stopped, the collector leaves no open upload and no object the
        // account does not reference, and every object it references is there and whole.
        for daemon in daemons { await daemon.stop() }
        await world.stopServer()
        report.openUploadsBeforeCollect = try await world.s3.listMultipartUploads(bucket: world.bucket).count
        let (status, output) = try await world.serverCommand(["admin", "collect", "--upload-age", "0", "--grace", "0"])
        #expect(status == 0, "admin collect: \(output)")
        report.collector = output.split(separator: "\n").last.map(String.init) ?? ""
        #expect(try await world.s3.listMultipartUploads(bucket: world.bucket).isEmpty, "no open multipart upload after the collector")
        let after = try referencedContent()
        let objects = try await world.s3.listAllObjects(bucket: world.bucket, prefix: "u/").collect().map(\.key)
        let expected = Set(after.hashes.map { "u/\(after.userId)/\($0)" })
        #expect(
            Set(objects).subtracting(expected).isEmpty,
            "unreferenced objects after the collector: \(Set(objects).subtracting(expected).sorted())"
        )
        #expect(expected.subtracting(objects).isEmpty, "referenced content missing from S3: \(expected.subtracting(objects).sorted())")
        for key in objects where expected.contains(key) {
            let (_, bytes) = try await world.s3.getObject(bucket: world.bucket, key: key)
            #expect(key.hasSuffix("/" + identityHex(Data(bytes))), "\(key) holds other bytes than its identity")
        }
    }

    /// The log lines of every daemon and the server that name `path`, for a failure's report.
    static func history(of path: String, daemons: [DaemonHandle], world: EndToEnd) -> String {
        var out = "---- what the logs say about \(path)"
        let name = (path as NSString).lastPathComponent
        for (who, text) in daemons.map({ ($0.name, $0.log) }) + [
            ("server", (try? String(contentsOfFile: world.dir + "/server.log", encoding: .utf8)) ?? "")
        ] {
            let lines = text.split(separator: "\n").filter { $0.contains(name) }
            out += "\n[\(who)] \(lines.count) lines\n" + lines.suffix(60).joined(separator: "\n")
        }
        return out
    }

    /// Copies the run's logs to `.build/soak/seed-N` (replacing an earlier run's).
    static func keepLogs(world: EndToEnd, scratch: String, seed: UInt64) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let target = root + "/.build/soak/seed-\(seed)"
        let files = FileManager.default
        try? files.removeItem(atPath: target)
        try? files.createDirectory(atPath: target, withIntermediateDirectories: true)
        for source in [world.dir, scratch] {
            guard let walker = files.enumerator(atPath: source) else { continue }
            for case let relative as String in walker where relative.hasSuffix(".log") && !relative.contains("/Sync/") {
                try? files.copyItem(atPath: source + "/" + relative, toPath: target + "/" + relative.replacingOccurrences(of: "/", with: "-"))
            }
        }
        print("soak: logs kept in \(target)")
    }

    /// What still differs between the devices and the server, or nil when nothing does and
    /// every daemon is idle with nothing waiting.
    private func differences(_ daemons: [DaemonHandle], token: String) async throws -> String? {
        guard let files = try? await world.serverFiles(token) else { return "the server does not answer" }
        let server = Dictionary(uniqueKeysWithValues: files.map { ($0.key, $0.value.kind == .folder ? "folder" : ($0.value.sha256 ?? "?")) })
        for daemon in daemons {
            guard let status = try? daemon.status() else { return "\(daemon.name) does not answer" }
            guard status.state == .idle, (status.waiting ?? 0) == 0, status.errors.isEmpty else {
                return
                    "\(daemon.name) is \(status.state) (waiting \(status.waiting ?? 0)): \(status.errors.map { "\($0.path): \($0.message)" }.prefix(5))"
            }
            let local = localTree(daemon.folder)
            if local != server {
                let keys = Set(local.keys).union(server.keys).filter { local[$0] != server[$0] }.sorted()
                return
                    "\(daemon.name) differs from the server at \(keys.prefix(8).map { "\($0) (local \(local[$0]?.prefix(8) ?? "none"), server \(server[$0]?.prefix(8) ?? "none"))" })"
            }
        }
        return nil
    }

    /// Path → "folder" or the file's content identity, skipping syncd's own temporaries.
    private func localTree(_ folder: String) -> [String: String] {
        var out: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return out }
        for case let relative as String in walker {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".syncd-tmp-") || name.hasPrefix(".goutputstream-") { continue }
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder + "/" + relative, isDirectory: &isFolder) else { continue }
            if isFolder.boolValue {
                out[relative] = "folder"
            } else if let data = FileManager.default.contents(atPath: folder + "/" + relative) {
                out[relative] = identityHex(data)
            }
        }
        return out
    }

    /// Every content the account references (current files, their history, the trash), read
    /// from the server's database with Python's sqlite3 (read-only).
    private func referencedContent() throws -> (userId: String, hashes: Set<String>) {
        let script = """
            import sqlite3, sys
            db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
            for (user,) in db.execute("SELECT id FROM users WHERE email = 'alice@example.org'"):
                print("user", user)
                for (h,) in db.execute("SELECT content_hash FROM files WHERE user_id = ? AND content_hash IS NOT NULL UNION SELECT r.content_hash FROM revisions r JOIN files f ON f.id = r.file_id WHERE f.user_id = ?", (user, user)):
                    print(h)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, world.dir + "/metadata.sqlite"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let userLine = text.split(separator: "\n").first, userLine.hasPrefix("user ") else {
            throw HarnessError("cannot read the server's database: \(text)")
        }
        return (String(userLine.dropFirst(5)), Set(text.split(separator: "\n").dropFirst().map(String.init)))
    }
}
