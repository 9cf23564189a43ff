import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import SyncDaemon

/// syncd's structured journald entries, read back with journalctl, from a `systemd-journald`
/// of the test's own inside a private mount namespace (no systemd manager is started; the
/// machine's journal is not touched). The catalog is compiled there too.
@Suite(.serialized, .timeLimit(.minutes(3))) struct JournaldEndToEndTests {
    @Test func eventsCarryTheirFieldsAndTheCatalogExplainsThem() async throws {
        try await EndToEnd.with("journald") { world in
            let token = try await world.issueToken()
            let a = try world.daemon("host-a", token: token)
            try a.write("reports/q3.txt", String(repeating: "q", count: 5000))
            try a.write("notes.txt", "hello")
            let out = world.dir + "/journal"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let catalog = FileManager.default.currentDirectoryPath + "/systemd/syncd.catalog"
            let syncd = world.binaries + "/syncd"
            let dirs = "--config-dir \(a.paths.configDir) --state-dir \(a.paths.stateDir)"
            let script = """
                set -e
                mount -t tmpfs tmpfs /run/systemd && mkdir -p /run/systemd/journal
                mkdir -p /run/log && mount -t tmpfs tmpfs /run/log
                mount -t tmpfs tmpfs /var/lib/systemd && mkdir -p /var/lib/systemd/catalog
                mount -t tmpfs tmpfs /usr/lib/systemd/catalog && cp \(catalog) /usr/lib/systemd/catalog/syncd.catalog
                journalctl --update-catalog
                /lib/systemd/systemd-journald & journald=$!
                for i in $(seq 1 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done
                SYNCD_LOG=journal HOME=\(world.dir) \(syncd) run \(dirs) & daemon=$!
                for i in $(seq 1 300); do
                  \(syncd) status --json --state-dir \(a.paths.stateDir) 2>/dev/null | grep -q '"filesInSync" : 2' && break; sleep 0.1
                done
                kill -TERM $daemon; wait $daemon
                J="journalctl --directory /run/log/journal --no-pager"
                $J -o json SYNCD_ACTION=upload > \(out)/upload.json
                $J -o json MESSAGE_ID=\(SyncEvent.stopped.messageId) > \(out)/stopped.json
                $J -o json _PID=$daemon > \(out)/all.json
                $J -x MESSAGE_ID=\(SyncEvent.upload.messageId) > \(out)/explained.txt
                kill $journald
                """
            let run = try ChildProcess(
                "/usr/bin/unshare",
                ["--mount", "--propagation", "private", "sh", "-c", script],
                environment: ["PATH": "/usr/bin:/bin:/usr/sbin:/sbin"],
                log: world.dir + "/journald-test.log",
                name: "journald test"
            )
            #expect(await run.waitForExit(timeout: .seconds(90)) == 0, "the namespace script failed: \(run.log)")

            func entries(_ file: String) throws -> [[String: String]] {
                try String(contentsOfFile: out + "/" + file, encoding: .utf8).split(separator: "\n").map {
                    (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
                }
            }
            let uploads = try entries("upload.json")
            #expect(Set(uploads.compactMap { $0["SYNCD_PATH"] }) == ["reports/q3.txt", "notes.txt"], "\(uploads)")
            let q3 = try #require(uploads.first { $0["SYNCD_PATH"] == "reports/q3.txt" })
            #expect(q3["MESSAGE_ID"] == SyncEvent.upload.messageId && q3["PRIORITY"] == "6")
            #expect(q3["SYNCD_BYTES"] == "5000" && q3["SYNCD_REMOTE_REV"] == "1" && q3["SYNCD_FOLDER"] == a.folder)
            #expect(Int(q3["SYNCD_DURATION_MS"] ?? "") != nil && q3["SYSLOG_IDENTIFIER"] == "syncd")
            #expect(try entries("stopped.json").count == 1, "one clean stop")
            let all = try entries("all.json")
            #expect(all.contains { $0["MESSAGE_ID"] == SyncEvent.started.messageId && $0["PRIORITY"] == "5" })
            #expect(all.contains { $0["SYNCD_ACTION"] == "folder" && $0["SYNCD_PATH"] == "reports" })
            let explained = try String(contentsOfFile: out + "/explained.txt", encoding: .utf8)
            #expect(explained.contains("syncd uploaded reports/q3.txt") && explained.contains("Nothing needs doing"), "\(explained)")
        }
    }

    /// The server logs through the same handler: priorities, `SYNCD_*` fields, `log.level`.
    @Test func theServerLogsStructuredEntriesAtItsLevel() async throws {
        try await EndToEnd.with("journald-server") { world in
            let out = world.dir + "/journal"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let port = try EndToEnd.freePort()
            let script = """
                set -e
                mount -t tmpfs tmpfs /run/systemd && mkdir -p /run/systemd/journal
                mkdir -p /run/log && mount -t tmpfs tmpfs /run/log
                /lib/systemd/systemd-journald & journald=$!
                for i in $(seq 1 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done
                for level in info warning; do
                  SYNCD_LOG=journal SYNCD_LOG_LEVEL=$level \(world.binaries)/syncd-server serve --host 127.0.0.1 --port \(port) & server=$!
                  touch \(out)/serving-$level
                  for i in $(seq 1 600); do [ -e \(out)/asked-$level ] && break; sleep 0.05; done
                  kill -TERM $server; wait $server
                  journalctl --directory /run/log/journal --no-pager -o json _PID=$server > \(out)/$level.json
                done
                # A configuration that cannot work: one critical entry, exit 78.
                status=0
                SYNCD_LOG=journal SYNCD_LOG_LEVEL=loud \(world.binaries)/syncd-server serve --host 127.0.0.1 --port \(port) || status=$?
                echo $status > \(out)/refused.status
                # journald takes in what it is sent on its own time: read until the entry is there.
                for i in $(seq 1 100); do
                  journalctl --directory /run/log/journal --no-pager -o json SYNCD_EVENT=configuration_error > \(out)/refused.json
                  [ -s \(out)/refused.json ] && break; sleep 0.05
                done
                kill $journald
                """
            let run = try ChildProcess(
                "/usr/bin/unshare",
                ["--mount", "--propagation", "private", "sh", "-c", script],
                // Not the world's metrics port, which its own server holds.
                environment: world.serverEnvironment.merging(["PATH": "/usr/bin:/bin:/usr/sbin:/sbin"]) { $1 }.filter {
                    $0.key != "SYNCD_METRICS_LISTEN"
                },
                log: world.dir + "/journald-server-test.log",
                name: "journald server test"
            )
            for level in ["info", "warning"] {
                try await waitUntil("the server runs at \(level)") { FileManager.default.fileExists(atPath: out + "/serving-" + level) }
                try await waitUntil("the server answers") {
                    let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz")
                    return (try? await HTTPClient.shared.execute(request, timeout: .seconds(2)).status.code) == 200
                }
                _ = FileManager.default.createFile(atPath: out + "/asked-" + level, contents: nil)
            }
            #expect(await run.waitForExit(timeout: .seconds(60)) == 0, "the namespace script failed: \(run.log)")

            func entries(_ file: String) throws -> [[String: String]] {
                try String(contentsOfFile: out + "/" + file, encoding: .utf8).split(separator: "\n").map {
                    (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
                }
            }
            let info = try entries("info.json")
            let started = try #require(
                info.first { $0["MESSAGE"]?.hasPrefix("syncd-server ") == true && $0["MESSAGE"]?.hasSuffix(" starting") == true },
                "\(info)"
            )
            #expect(started["PRIORITY"] == "5" && started["SYSLOG_IDENTIFIER"] == "syncd-server" && started["SYNCD_DATABASE"] == "sqlite")
            #expect(started["SYNCD_VERSION"]?.isEmpty == false && started["SYNCD_EVENT"] == "started")
            // Each event's MESSAGE_ID is one the catalog explains.
            let catalog = try String(contentsOfFile: FileManager.default.currentDirectoryPath + "/systemd/syncd.catalog", encoding: .utf8)
            let ready = try #require(info.first { $0["SYNCD_EVENT"] == "ready" }, "\(info)")
            #expect(ready["SYNCD_ADDRESS"] == "127.0.0.1:\(port)" && ready["PRIORITY"] == "5")
            let stopping = try #require(info.first { $0["SYNCD_EVENT"] == "stopping" }, "\(info)")
            for entry in [started, ready, stopping] {
                let id = try #require(entry["MESSAGE_ID"])
                #expect(catalog.contains("-- \(id)\nSubject: syncd-server"), "\(entry)")
            }
            let request = try #require(info.first { $0["MESSAGE"]?.contains("GET /healthz 200") == true }, "\(info.map { $0["MESSAGE"] ?? "" })")
            #expect(request["PRIORITY"] == "6" && request["SYNCD_DURATION_MS"] != nil)
            // At `warning`, neither the notice nor the request lines are written.
            let quiet = try entries("warning.json")
            #expect(!quiet.contains { $0["PRIORITY"] == "5" || $0["PRIORITY"] == "6" }, "\(quiet.map { $0["MESSAGE"] ?? "" })")
            let refused = try entries("refused.json")
            #expect(try String(contentsOfFile: out + "/refused.status", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == "78")
            #expect(refused.count == 1 && refused.first?["PRIORITY"] == "2", "\(refused)")
            #expect(refused.first?["MESSAGE"]?.contains("log.level must be one of") == true)
            let refusedID = try #require(refused.first?["MESSAGE_ID"])
            #expect(catalog.contains("-- \(refusedID)\nSubject: syncd-server cannot start"))
        }
    }
}
