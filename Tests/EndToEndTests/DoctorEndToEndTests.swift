import Foundation
import SyncAPI
import Testing

@testable import SyncDaemon

/// `syncd doctor` against the real server, with a watch limit lowered inside a user namespace
/// (the machine's own limits are not touched).
@Suite(.serialized, .timeLimit(.minutes(3))) struct DoctorEndToEndTests {
    @Test func doctorExplainsALowWatchLimitAndChecksTheServer() async throws {
        try await EndToEnd.with("doctor") { world in
            let token = try await world.issueToken()
            let a = try world.daemon("host-a", token: token)
            for i in 0..<150 { try FileManager.default.createDirectory(atPath: a.path("albums/\(i)"), withIntermediateDirectories: true) }
            let out = world.dir + "/doctor.out"
            let script =
                "echo 100 > /proc/sys/user/max_inotify_watches && exec \(world.binaries)/syncd doctor --config-dir \(a.paths.configDir) --state-dir \(a.paths.stateDir)"
            let doctor = try ChildProcess(
                "/usr/bin/unshare",
                ["--user", "--map-root-user", "sh", "-c", script],
                environment: ["HOME": world.dir, "PATH": "/usr/bin:/bin"],
                log: out,
                name: "syncd doctor"
            )
            let status = await doctor.waitForExit(timeout: .seconds(60))
            let report = doctor.log
            #expect(status != 0, "a problem means a failing exit status: \(report)")
            #expect(report.contains("PROBLEM  inotify watches: 152 folders need a watch each but the limit is 100"), "\(report)")
            #expect(report.contains("sudo sysctl fs.inotify.max_user_watches=524288"))
            #expect(report.contains("ok       server: \(world.serverURL), signed in as alice@example.org"))
            #expect(report.contains("ok       clock: this machine is"))
            #expect(report.contains("ok       journal: none yet"))

            // A revoked token is named as such.
            let devices: [DeviceInfo] = try await world.api(token).get("/devices")
            try await world.api(token).call("DELETE", "/devices/\(devices[0].id)")
            let again = try ChildProcess(
                world.binaries + "/syncd",
                ["doctor", "--config-dir", a.paths.configDir, "--state-dir", a.paths.stateDir],
                environment: ["HOME": world.dir, "PATH": "/usr/bin:/bin"],
                log: world.dir + "/doctor2.out",
                name: "syncd doctor"
            )
            #expect(await again.waitForExit(timeout: .seconds(60)) != 0)
            #expect(again.log.contains("the device token is unknown or revoked"), "\(again.log)")
            // The same as JSON, for scripts and monitoring.
            let json = try ChildProcess(
                world.binaries + "/syncd",
                ["doctor", "--json", "--config-dir", a.paths.configDir, "--state-dir", a.paths.stateDir],
                environment: ["HOME": world.dir, "PATH": "/usr/bin:/bin"],
                log: world.dir + "/doctor3.out",
                name: "syncd doctor --json"
            )
            #expect(await json.waitForExit(timeout: .seconds(60)) != 0)
            let start = try #require(json.log.firstIndex(of: "["), "\(json.log)")
            let checks = try #require(try JSONSerialization.jsonObject(with: Data(json.log[start...].utf8)) as? [[String: Any]])
            let server = try #require(checks.first { ($0["name"] as? String) == "server" }, "\(checks)")
            #expect(server["outcome"] as? String == "problem" && (server["detail"] as? String)?.contains("unknown or revoked") == true)
        }
    }

    @Test func watchLimitArithmetic() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("watch-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for i in 0..<9 { try FileManager.default.createDirectory(atPath: dir + "/f\(i)/sub", withIntermediateDirectories: true) }
        try FileManager.default.createDirectory(atPath: dir + "/.syncd", withIntermediateDirectories: true)
        #expect(Doctor.countFolders(dir) == 19, "the root, 9 folders and 9 subfolders; syncd's own folder is not watched")
        #expect(Doctor.checkWatches(folder: dir, limits: .init(watches: 1000)).outcome == .ok)
        #expect(Doctor.checkWatches(folder: dir, limits: .init(watches: 20)).outcome == .warning)
        let low = Doctor.checkWatches(folder: dir, limits: .init(watches: 10))
        #expect(low.outcome == .problem && low.detail.contains("/etc/sysctl.d/90-syncd.conf"))
    }
}
