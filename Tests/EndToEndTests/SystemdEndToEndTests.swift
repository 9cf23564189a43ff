import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import SyncAPI
import SyncDaemon
import Testing

/// syncd as a `Type=notify` service, against a NOTIFY_SOCKET the test binds (no systemd
/// manager is started).
@Suite(.serialized, .timeLimit(.minutes(5))) struct SystemdEndToEndTests {
    @Test func readyStatusWatchdogReloadAndStop() async throws {
        try await EndToEnd.with("notify") { world in
            let token = try await world.issueToken()
            let metricsPort = try EndToEnd.freePort()
            let a = try world.daemon("host-a", token: token, config: "[metrics]\nlisten = \"127.0.0.1:\(metricsPort)\"")
            for i in 0..<300 { try a.write("photos/\(i / 100)/img-\(i).txt", "photo \(i)") }
            let listener = try NotifyListener(path: world.dir + "/notify.sock")
            defer { listener.stop() }
            try a.start(environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "1000000"])

            try await waitUntil("READY=1", timeout: .seconds(60)) { listener.lines.contains("READY=1") }
            // Ready means caught up: everything is on the server by then.
            let files = try await world.serverFiles(token).values.filter { $0.kind == .file }.count
            #expect(files == 300, "READY=1 came after the first scan and catch-up (\(files) of 300 on the server)")
            let beforeReady = listener.lines.prefix { $0 != "READY=1" }
            #expect(beforeReady.contains { $0.hasPrefix("STATUS=Starting") || $0.hasPrefix("STATUS=Uploading") }, "\(beforeReady)")
            try await waitUntil("STATUS says idle") { listener.lines.contains("STATUS=Idle — 300 files in sync") }
            // The same figures for Prometheus.
            let response = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(metricsPort)/metrics"),
                timeout: .seconds(5)
            )
            let metrics = String(buffer: try await response.body.collect(upTo: 1 << 20))
            #expect(metrics.contains("syncd_files_in_sync{folder=\"\(a.folder)\"} 300.0\n"), "\(metrics)")
            #expect(metrics.contains("syncd_server_reachable{folder=\"\(a.folder)\"} 1.0\n"))
            #expect(metrics.contains("syncd_uploads_total{folder=\"\(a.folder)\"} 300\n"), "every upload counted")
            #expect(metrics.contains("syncd_build_info{folder=\"\(a.folder)\",version="))

            // The watchdog: WATCHDOG_USEC=1 s means a ping every half second while alive.
            let pingsFrom = ContinuousClock.now
            try await Task.sleep(for: .seconds(3))
            // The window is what was actually slept (a loaded machine oversleeps), counted in
            // half seconds: one ping per half second, give or take the two ends.
            let pingsTo = ContinuousClock.now
            let pings = listener.messages.filter { $0.message == "WATCHDOG=1" && $0.at >= pingsFrom && $0.at <= pingsTo }.map(\.at)
            let halfSeconds = Int(((pingsTo - pingsFrom) / .milliseconds(500)).rounded(.down))
            #expect((halfSeconds - 2...halfSeconds + 1).contains(pings.count), "\(pings.count) pings in \(pingsTo - pingsFrom)")
            let gaps = zip(pings.dropFirst(), pings).map { $0 - $1 }
            // Never as late as WATCHDOG_USEC itself (systemd would restart the service then),
            // and not a burst either.
            #expect(gaps.allSatisfy { $0 > .milliseconds(300) && $0 < .seconds(1) }, "pings every ~500 ms: \(gaps)")

            // STATUS follows what happens.
            for i in 0..<30 { try a.write("later/file-\(i).txt", String(repeating: "x", count: 100_000)) }
            try await waitUntil("STATUS counts the new files") { listener.lines.contains("STATUS=Idle — 330 files in sync") }

            // SIGHUP: RELOADING=1 (with MONOTONIC_USEC), then READY=1 again.
            let readyCount = listener.lines.filter { $0 == "READY=1" }.count
            // The configuration is read again: a bandwidth cap applies at once; a change that
            // needs a restart is named.
            let config = try String(contentsOfFile: a.paths.configFile, encoding: .utf8)
            try (config + "\n[transfers]\nmax_upload_rate = \"5MB\"\nconcurrency = 4\n").write(
                toFile: a.paths.configFile,
                atomically: true,
                encoding: .utf8
            )
            a.process?.signal(SIGHUP)
            try await waitUntil("RELOADING=1 then READY=1") {
                let lines = listener.lines
                guard let reloading = lines.lastIndex(of: "RELOADING=1") else { return false }
                return lines[reloading...].contains("READY=1") && lines.filter { $0 == "READY=1" }.count == readyCount + 1
            }
            #expect(listener.lines.contains { $0.hasPrefix("MONOTONIC_USEC=") })
            #expect(a.log.contains("bandwidth caps now up 5000000 B/s, down unlimited; changed settings that need a restart: transfers"), "\(a.log)")
            #expect(a.process?.isRunning == true, "SIGHUP does not stop the daemon")

            // SIGTERM: STOPPING=1 and a clean exit.
            await a.stop()
            #expect(listener.lines.contains("STOPPING=1"))
        }
    }
}
