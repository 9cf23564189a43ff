import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// What an administrator runs and reads: versions, `check-config`, configuration errors that
/// systemd must not restart (exit 78), `Type=notify`, and `syncd-server admin` over devices,
/// all on the real binaries.
@Suite(.timeLimit(.minutes(3))) struct ServerOperationsEndToEndTests {
    static let exitConfig: Int32 = 78 << 8
    static let exitFailure: Int32 = 1 << 8

    static var version: String {
        get throws {
            try String(contentsOfFile: FileManager.default.currentDirectoryPath + "/VERSION", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    @Test func bothProgramsNameTheirVersionEverywhere() async throws {
        let version = try Self.version
        #expect(version.split(separator: ".").count == 3, "VERSION holds MAJOR.MINOR.PATCH, not \(version)")
        try await EndToEnd.with("version") { world in
            for program in ["syncd", "syncd-server"] {
                let process = try ChildProcess(
                    world.binaries + "/" + program,
                    ["--version"],
                    environment: [:],
                    log: world.dir + "/\(program).version",
                    name: program
                )
                #expect(await process.waitForExit(timeout: .seconds(10)) == 0)
                #expect(process.log.trimmingCharacters(in: .whitespacesAndNewlines) == version, "\(program) --version")
            }
            #expect(try await world.metricLine("syncd_server_build_info") == #"syncd_server_build_info{version="\#(version)"} 1.0"#)
            let (status, log) = try await world.serverCommand(["--help"])
            #expect(status == 0 && log.contains("check-config"), "\(log)")
        }
    }

    @Test func checkConfigSaysWhatIsWrongAndServeRefusesToLoop() async throws {
        try await EndToEnd.with("check-config") { world in
            let good = try await world.serverCommand(["check-config"])
            #expect(good.status == 0, "\(good.output)")
            #expect(good.output.contains("ok      database: SQLite file"), "\(good.output)")
            #expect(good.output.contains("ok      S3: bucket \(world.bucket)"), "\(good.output)")
            #expect(!good.output.contains("PROBLEM"))

            // S3 that does not answer: a problem named, exit 1 (not a configuration error).
            let closed = try EndToEnd.freePort()
            let noS3 = try await world.serverCommand(["check-config"], environment: ["SYNCD_S3_ENDPOINT": "http://127.0.0.1:\(closed)"])
            #expect(noS3.status == Self.exitFailure, "\(noS3.output)")
            #expect(noS3.output.contains("PROBLEM S3: bucket \(world.bucket) at http://127.0.0.1:\(closed)"), "\(noS3.output)")
            #expect(noS3.output.contains("ok      database"))

            // A missing secret and a bad setting are configuration errors: 78, for check-config
            // and for serve (which must exit at once, not serve nor wait).
            let noSecret = try await world.serverCommand(["check-config"], environment: ["SYNCD_AUTH_SESSION_SECRET": ""])
            #expect(noSecret.status == Self.exitConfig, "\(noSecret.output)")
            #expect(noSecret.output.contains("PROBLEM configuration: auth.session_secret is not set"), "\(noSecret.output)")
            let port = try EndToEnd.freePort()
            let badLevel = try await world.serverCommand(
                ["serve", "--host", "127.0.0.1", "--port", String(port)],
                environment: ["SYNCD_LOG_LEVEL": "loud"]
            )
            #expect(badLevel.status == Self.exitConfig, "\(badLevel.output)")
            #expect(badLevel.output.contains("log.level must be one of trace, debug, info, notice, warning, error, critical, not \"loud\""))
            let missingFile = try await world.serverCommand(["serve", "--config", world.dir + "/nope.toml"])
            #expect(missingFile.status == Self.exitConfig && missingFile.output.contains("nope.toml does not exist"), "\(missingFile.output)")

            // A database URL that cannot be parsed is configuration too.
            let badURL = try await world.serverCommand(["check-config", "--database", "postgres://"])
            #expect(badURL.status == Self.exitConfig && badURL.output.contains("PROBLEM configuration: database.url"), "\(badURL.output)")
            // A check creates nothing: no database file where none was.
            let fresh = world.dir + "/not-yet.sqlite"
            let notYet = try await world.serverCommand(["check-config", "--database", fresh])
            #expect(notYet.status == 0 && notYet.output.contains("does not exist yet; created at start"), "\(notYet.output)")
            #expect(!FileManager.default.fileExists(atPath: fresh))
        }
    }

    @Test func aDaemonWhoseConfigurationCannotWorkExits78() async throws {
        try await EndToEnd.with("daemon-config") { world in
            let token = try await world.issueToken()
            let daemon = try world.daemon("bad-level", token: token, config: "\n[log]\nlevel = \"chatty\"")
            try daemon.start()
            let status = await daemon.process?.waitForExit(timeout: .seconds(20))
            #expect(status == Self.exitConfig, "\(daemon.log)")
            #expect(daemon.log.contains("syncd: cannot start: log.level must be one of"), "\(daemon.log)")
        }
    }

    @Test func theServerTellsSystemdWhenItServesAndWhenItStops() async throws {
        try await EndToEnd.with("server-notify") { world in
            let listener = try NotifyListener(path: world.dir + "/notify.sock")
            defer { listener.stop() }
            let port = try EndToEnd.freePort()
            let server = try world.serverProcess(
                ["serve", "--host", "127.0.0.1", "--port", String(port)],
                environment: ["NOTIFY_SOCKET": listener.path, "SYNCD_METRICS_LISTEN": ""]
            )
            try await waitUntil("READY=1 from syncd-server") { listener.lines.contains("READY=1") }
            // READY came after the port listens: the server answers at once.
            let ready = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/readyz"), timeout: .seconds(5))
            #expect(ready.status == .ok)
            #expect(server.log.contains("syncd-server \(try Self.version) starting"), "\(server.log)")
            #expect(await server.stop() == 0)
            #expect(listener.lines.contains("STOPPING=1"), "\(listener.lines)")
            #expect(listener.lines.filter { $0 == "READY=1" }.count == 1)
        }
    }

    @Test func adminListsUsersAndDevicesAndRevokesOne() async throws {
        try await EndToEnd.with("admin-devices") { world in
            let alice = try await world.issueToken(email: "alice@example.org", device: "alice-laptop")
            let bob = try await world.issueToken(email: "bob@example.org", device: "bob-server")
            let users = try await world.serverCommand(["admin", "list-users", "--json"])
            #expect(users.status == 0, "\(users.output)")
            let userRows = try #require(try JSONSerialization.jsonObject(with: Data(users.output.utf8)) as? [[String: Any]])
            #expect(userRows.map { $0["email"] as? String } == ["alice@example.org", "bob@example.org"])
            #expect(userRows.map { $0["devices"] as? Int } == [1, 1])

            let listed = try await world.serverCommand(["admin", "list-devices", "--email", "bob@example.org", "--json"])
            let deviceRows = try #require(try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [[String: Any]], "\(listed.output)")
            #expect(deviceRows.count == 1 && deviceRows[0]["name"] as? String == "bob-server" && deviceRows[0]["revoked"] as? Bool == false)
            let bobDevice = try #require(deviceRows.first?["id"] as? String)

            #expect(try await world.devicesStatus(bob) == 200)
            let revoked = try await world.serverCommand(["admin", "revoke-device", bobDevice])
            #expect(revoked.status == 0 && revoked.output.contains("device \(bobDevice) revoked"), "\(revoked.output)")
            // The token is refused at once; alice's is not touched.
            #expect(try await world.devicesStatus(bob) == 401)
            #expect(try await world.devicesStatus(alice) == 200)
            let again = try await world.serverCommand(["admin", "revoke-device", bobDevice])
            #expect(again.status == 0 && again.output.contains("was revoked already"))
            let unknown = try await world.serverCommand(["admin", "revoke-device", "no-such-device"])
            #expect(unknown.status != 0 && unknown.output.contains("no device has the id no-such-device"))
            let text = try await world.serverCommand(["admin", "list-devices"])
            #expect(text.output.contains("bob@example.org  bob-server") && text.output.contains("revoked 20"), "\(text.output)")
            #expect(text.output.contains("alice@example.org  alice-laptop") && text.output.contains("last seen 20"))
            let nobody = try await world.serverCommand(["admin", "list-devices", "--email", "carol@example.org"])
            #expect(nobody.status != 0 && nobody.output.contains("no user has the address carol@example.org"))
        }
    }
}

extension EndToEnd {
    /// The first line of the server's /metrics that starts with `prefix`.
    func metricLine(_ prefix: String) async throws -> String? {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: metricsURL + "/metrics"), timeout: .seconds(5))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return text.split(separator: "\n").first { $0.hasPrefix(prefix) }.map(String.init)
    }

    /// The status `GET /api/v1/devices` answers this token with.
    func devicesStatus(_ token: String) async throws -> UInt {
        var request = HTTPClientRequest(url: serverURL + "/api/v1/devices")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        return try await HTTPClient.shared.execute(request, timeout: .seconds(5)).status.code
    }
}
