import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SyncAPI
import SyncDaemon
import Testing

/// The `syncd` commands a user reaches for beside `run` (ls, filestatus, conflicts, activity,
/// history, restore, trash, share, logout, run --dry-run), each run as the real binary against
/// the real server and daemons.
@Suite(.timeLimit(.minutes(4))) struct CommandLineEndToEndTests {
    static func json(_ output: String) throws -> Any {
        // Only the JSON document: anything logged before it is not part of it.
        guard let start = output.firstIndex(where: { $0 == "[" || $0 == "{" }) else { throw HarnessError("no JSON in: \(output)") }
        return try JSONSerialization.jsonObject(with: Data(output[start...].utf8))
    }

    static func rows(_ output: String) throws -> [[String: Any]] {
        guard let rows = try json(output) as? [[String: Any]] else { throw HarnessError("not a list: \(output)") }
        return rows
    }

    @Test func lsFilestatusConflictsAndActivityTellWhatIsWhere() async throws {
        try await EndToEnd.with("cli-files") { world in
            let token = try await world.issueToken()
            let a = try world.daemon("host-a", token: token)
            let b = try world.daemon("host-b", token: token)
            try a.write(".syncignore", "*.log\n")
            try a.write("docs/plan.txt", "v1")
            try a.write("top.txt", "top")
            try a.start()
            try b.start()
            try await waitUntil("b has a's files") { b.read("docs/plan.txt") == "v1" && b.read("top.txt") == "top" }
            try await waitUntil("a is idle") { try a.status().state == .idle }
            try a.write("debug.log", "noise")
            // A name that would drive the terminal (ESC [ 31 m) is shown escaped, never raw.
            try a.write("red\u{1B}[31m.log", "x")

            let ls = try await a.cli(["ls", "--json"])
            #expect(ls.status == 0, "\(ls.output)")
            let rows = try Self.rows(ls.output)
            let byName = Dictionary(uniqueKeysWithValues: rows.map { ($0["name"] as? String ?? "", $0) })
            #expect(byName["docs"]?["kind"] as? String == "folder" && byName["docs"]?["state"] as? String == "up to date")
            #expect(byName["top.txt"]?["state"] as? String == "up to date" && byName["top.txt"]?["size"] as? Int == 3)
            #expect(byName["debug.log"]?["state"] as? String == "ignored" && byName["debug.log"]?["onServer"] as? Bool == false)
            let listing = try await a.cli(["ls"])
            #expect(listing.output.contains(#"red\u{1B}[31m.log"#) && !listing.output.contains("\u{1B}"), "\(listing.output)")
            let inDocs = try await a.cli(["ls", "docs"])
            #expect(
                inDocs.output.contains("up to date") && inDocs.output.contains("plan.txt") && !inDocs.output.contains("top.txt"),
                "\(inDocs.output)"
            )
            let outside = try await a.cli(["ls", "/etc"])
            #expect(outside.status != 0 && outside.output.contains("is not inside the synced folder"), "\(outside.output)")

            let upToDate = try await a.cli(["filestatus", a.path("docs/plan.txt")])
            #expect(upToDate.status == 0 && upToDate.output.contains("docs/plan.txt: up to date — revision 1, 2 bytes"), "\(upToDate.output)")
            let ignored = try await a.cli(["filestatus", "debug.log", "--json"])
            #expect((try Self.json(ignored.output) as? [String: Any])?["state"] as? String == "ignored", "\(ignored.output)")
            let missing = try await a.cli(["filestatus", "nope.txt"])
            #expect(missing.status == 1 << 8 && missing.output.contains("not found"), "\(missing.output)")

            // A conflict: both edit top.txt while a is stopped.
            await a.stop()
            let stopped = try await a.cli(["filestatus", "top.txt"])
            #expect(stopped.output.contains("up to date"), "nothing changed yet: \(stopped.output)")
            try a.write("new-here.txt", "fresh")
            let fresh = try await a.cli(["filestatus", "new-here.txt"])
            #expect(fresh.output.contains("syncing — new here, not uploaded yet; syncd is not running"), "\(fresh.output)")
            try b.write("top.txt", "top from b")
            try await waitUntil("b's edit is on the server") { try await world.serverFiles(token)["top.txt"]?.revision == 2 }
            try a.write("top.txt", "top from a")
            try a.start()
            try await waitUntil("a kept both versions", timeout: .seconds(60)) {
                a.read("top.txt") == "top from b" && a.tree().keys.contains { $0.hasPrefix("top (conflicted copy from host-a") }
            }
            try await waitUntil("a is idle") { try a.status().state == .idle }
            let conflicts = try await a.cli(["conflicts", "--json"])
            let listed = try Self.rows(conflicts.output)
            #expect(listed.count == 1, "\(conflicts.output)")
            let copyFile = try #require(listed.first?["copyFile"] as? String)
            #expect(listed.first?["path"] as? String == "top.txt" && listed.first?["file"] as? String == a.path("top.txt"))
            #expect(listed.first?["host"] as? String == "host-a")
            #expect(try String(contentsOfFile: copyFile, encoding: .utf8) == "top from a", "the listed copy is this device's version")
            // The copy is uploaded by the pass after the one that made it: idle between the two
            // is not the end.
            var copyState = try await a.cli(["filestatus", copyFile])
            try await waitUntil("the copy is uploaded") {
                copyState = try await a.cli(["filestatus", copyFile])
                return !copyState.output.contains("uploading")
            }
            #expect(copyState.output.contains(": conflict — conflicted copy of top.txt kept by host-a"), "\(copyState.output)")
            let text = try await a.cli(["conflicts"])
            #expect(text.output.contains("current version: \(a.path("top.txt"))") && text.output.contains("conflicted copy: \(copyFile)"))

            let activity = try await a.cli(["activity", "--json", "--count", "100"])
            let entries = try Self.rows(activity.output)
            #expect(entries.contains { $0["action"] as? String == "upload" && $0["path"] as? String == "docs/plan.txt" && $0["bytes"] as? Int == 2 })
            #expect(entries.contains { $0["action"] as? String == "conflict" && $0["path"] as? String == "top.txt" })
            #expect(entries.contains { $0["action"] as? String == "download" && $0["path"] as? String == "top.txt" && $0["revision"] as? Int == 2 })
            let times = entries.compactMap { $0["at"] as? String }
            #expect(times.count == entries.count && times == times.sorted(by: >), "newest first: \(times)")
            let conflictAt = entries.firstIndex { $0["action"] as? String == "conflict" }
            let firstUploadAt = entries.firstIndex { $0["action"] as? String == "upload" && $0["path"] as? String == "docs/plan.txt" }
            #expect(conflictAt != nil && firstUploadAt != nil && conflictAt! < firstUploadAt!, "the conflict came after the first upload")
            let bActivity = try await b.cli(["activity"])
            #expect(bActivity.output.contains("download") && bActivity.output.contains("docs/plan.txt"), "\(bActivity.output)")
            await a.stop()
            await b.stop()
        }
    }

    @Test func historyRestoreAndTrashBringFilesBack() async throws {
        try await EndToEnd.with("cli-history") { world in
            let token = try await world.issueToken()
            let a = try world.daemon("host-a", token: token)
            try a.write("report.txt", "first draft")
            try a.start()
            try await waitUntil("v1 uploaded") { try await world.serverFiles(token)["report.txt"]?.revision == 1 }
            try a.write("report.txt", "second draft, longer")
            try await waitUntil("v2 uploaded") { try await world.serverFiles(token)["report.txt"]?.revision == 2 }

            let history = try await a.cli(["history", "report.txt", "--json"])
            let versions = try Self.rows(history.output)
            #expect(versions.map { $0["revision"] as? Int } == [2, 1], "\(history.output)")
            #expect(versions.map { $0["size"] as? Int } == [20, 11])
            let text = try await a.cli(["history", "report.txt"])
            #expect(text.output.contains("revision 2") && text.output.contains("(current)"))

            let restore = try await a.cli(["restore", "report.txt", "--revision", "1"])
            #expect(restore.status == 0 && restore.output.contains("revision 1 restored as revision 3"), "\(restore.output)")
            try await waitUntil("the folder has the first draft again") { a.read("report.txt") == "first draft" }
            let noSuch = try await a.cli(["restore", "report.txt", "--revision", "9"])
            #expect(noSuch.status != 0 && noSuch.output.contains("has no revision 9"), "\(noSuch.output)")

            try FileManager.default.removeItem(atPath: a.path("report.txt"))
            try await waitUntil("the deletion reached the server") { try await world.serverFiles(token)["report.txt"] == nil }
            let trash = try await a.cli(["trash", "--json"])
            #expect(try Self.rows(trash.output).contains { $0["path"] as? String == "report.txt" }, "\(trash.output)")
            let back = try await a.cli(["trash", "restore", "report.txt"])
            #expect(back.status == 0 && back.output.contains("report.txt restored"), "\(back.output)")
            try await waitUntil("the file is back in the folder") { a.read("report.txt") == "first draft" }
            let gone = try await a.cli(["trash", "restore", "never-there.txt"])
            #expect(gone.status != 0 && gone.output.contains("is not in the trash"), "\(gone.output)")
            await a.stop()
        }
    }

    @Test func shareLinksAndLogout() async throws {
        try await EndToEnd.with("cli-share") { world in
            let token = try await world.issueToken()
            let a = try world.daemon("host-a", token: token)
            try a.write("photo.txt", "a picture")
            try a.start()
            try await waitUntil("uploaded") { try await world.serverFiles(token)["photo.txt"] != nil }

            let created = try await a.cli(["share", "photo.txt", "--expires", "2h"])
            #expect(created.status == 0, "\(created.output)")
            let url = try #require(created.output.split(separator: "\n").first { $0.hasPrefix("http") }.map(String.init), "\(created.output)")
            #expect(url.hasPrefix(world.serverURL + "/s/"))
            #expect(try await Self.status(url) == 200)
            let list = try await a.cli(["share", "list", "--json"])
            let shares = try Self.rows(list.output)
            let share = try #require(shares.first { $0["url"] as? String == url }, "\(list.output)")
            let expires = try #require(share["expiresAt"] as? Double)
            #expect(abs(expires - Date().timeIntervalSince1970 - 7200) < 120, "expires in about 2 hours")
            let id = try #require(share["id"] as? String)
            let revoked = try await a.cli(["share", "revoke", id])
            #expect(revoked.status == 0 && revoked.output.contains("link \(id) revoked"))
            #expect(try await Self.status(url) == 404)
            let bad = try await a.cli(["share", "photo.txt", "--expires=0d"])
            #expect(bad.status != 0 && bad.output.contains("--expires takes a positive duration"), "\(bad.output)")
            // A file request into a folder, with a size cap; not of a file.
            try a.write("inbox/readme.txt", "drop files here")
            try await waitUntil("the folder is uploaded") { try await world.serverFiles(token)["inbox/readme.txt"] != nil }
            let request = try await a.cli(["share", "inbox", "--request", "Receipts", "--max-size", "1MB"])
            #expect(request.status == 0 && request.output.contains("file request \"Receipts\""), "\(request.output)")
            let requestURL = try #require(request.output.split(separator: "\n").first { $0.hasPrefix("http") }.map(String.init))
            #expect(requestURL.hasPrefix(world.serverURL + "/r/"))
            #expect(try await Self.status(requestURL) == 200)
            let listed = try await a.cli(["share", "list"])
            #expect(listed.output.contains("file request \"Receipts\", 0 received"), "\(listed.output)")
            let onFile = try await a.cli(["share", "photo.txt", "--request", "Nope"])
            #expect(onFile.status != 0 && onFile.output.contains("is a file"), "\(onFile.output)")
            let hugeCap = try await a.cli(["share", "inbox", "--request", "x", "--max-size", "1e30TB"])
            #expect(hugeCap.status != 0 && hugeCap.output.contains("--max-size"), "\(hugeCap.output)")

            // Logout: refused while the daemon runs, and for a token that is not the saved one;
            // then the token is revoked, forgotten, and the journal reset.
            let busy = try await a.cli(["logout"])
            #expect(busy.status != 0 && busy.output.contains("stop it first"), "\(busy.output)")
            await a.stop()
            let other = try await world.issueToken(device: "other")
            let overridden = try await a.cli(["logout"], environment: ["SYNCD_SERVER_TOKEN": other])
            #expect(overridden.status != 0 && overridden.output.contains("not from `syncd login`"), "\(overridden.output)")
            #expect(try await world.devicesStatus(other) == 200, "the other token is not revoked")
            #expect(try await world.devicesStatus(token) == 200, "nor the saved one")
            #expect(FileManager.default.fileExists(atPath: a.paths.journalFile))
            let out = try await a.cli(["logout"])
            #expect(out.status == 0 && out.output.contains("revoked on \(world.serverURL)"), "\(out.output)")
            #expect(try await world.devicesStatus(token) == 401)
            #expect(!FileManager.default.fileExists(atPath: a.paths.credentialsFile))
            #expect(!FileManager.default.fileExists(atPath: a.paths.journalFile), "the journal is reset")
            #expect(a.read("photo.txt") == "a picture", "the folder's files stay")
        }
    }

    @Test func aDryRunPrintsThePlanAndChangesNothing() async throws {
        try await EndToEnd.with("cli-dry-run") { world in
            let token = try await world.issueToken()
            let a = try world.daemon("host-a", token: token)
            let b = try world.daemon("host-b", token: token)
            try a.write("keep/same.txt", "same")
            try a.start()
            try b.start()
            try await waitUntil("b has it") { b.read("keep/same.txt") == "same" }
            await a.stop()
            try b.write("from-b.txt", "b's")
            try await waitUntil("b's file on the server") { try await world.serverFiles(token)["from-b.txt"] != nil }
            try a.write("from-a.txt", "a's")
            try a.write("keep/same.txt", "edited here")
            // A stale temporary (a crash's) that a real pass removes: a dry run leaves it.
            try a.write(".syncd-tmp-stale", "half a download")
            // Every file of the state folder byte for byte, but SQLite's WAL files (`-shm` holds
            // read marks any reader sets; a reader may leave an empty `-wal`), and the journal's
            // content row by row (read from a copy, WAL included, by Python's sqlite3).
            func stateFiles() async throws -> [String: Data] {
                var files: [String: Data] = [:]
                let names = try FileManager.default.contentsOfDirectory(atPath: a.paths.stateDir)
                for name in names where !name.hasSuffix(".sock") && !name.hasSuffix("-shm") && !name.hasSuffix("-wal") {
                    files[name] = try Data(contentsOf: URL(fileURLWithPath: a.paths.stateDir + "/" + name))
                }
                let dump = """
                    import glob, os, shutil, sqlite3, sys, tempfile
                    d = tempfile.mkdtemp()
                    for f in glob.glob(sys.argv[1] + "/journal.sqlite*"): shutil.copy(f, d)
                    c = sqlite3.connect(d + "/journal.sqlite")
                    sys.stdout.write("\\n".join(c.iterdump()))
                    c.close(); shutil.rmtree(d)
                    """
                let process = try ChildProcess(
                    "/usr/bin/python3",
                    ["-c", dump, a.paths.stateDir],
                    environment: ["PATH": "/usr/bin:/bin"],
                    log: world.dir + "/dump-\(UUID().uuidString.prefix(6)).sql",
                    name: "journal dump"
                )
                #expect(await process.waitForExit(timeout: .seconds(30)) == 0, "\(process.log)")
                #expect(process.log.contains("CREATE TABLE"), "the dump read the journal")
                files["journal content"] = Data(process.log.utf8)
                return files
            }
            let stateBefore = try await stateFiles()

            let plan = try await a.cli(["run", "--dry-run"])
            #expect(plan.status == 0, "\(plan.output)")
            #expect(plan.output.contains("download from-b.txt"), "\(plan.output)")
            #expect(plan.output.contains("upload from-a.txt"), "\(plan.output)")
            #expect(plan.output.contains("upload keep/same.txt over r1"), "\(plan.output)")
            #expect(plan.output.contains("3 steps; nothing was done (dry run)"), "\(plan.output)")
            // Nothing happened: not in the folder, not on the server, not in the state folder
            // (byte for byte), and the same plan again.
            #expect(a.read("from-b.txt") == nil && a.read(".syncd-tmp-stale") == "half a download")
            let stateAfter = try await stateFiles()
            let changed = Set(stateAfter.keys).union(stateBefore.keys).filter { stateAfter[$0] != stateBefore[$0] }
            #expect(changed.isEmpty, "the journal and the state folder are untouched; changed: \(changed.sorted())")
            let files = try await world.serverFiles(token)
            #expect(files["from-a.txt"] == nil && files["keep/same.txt"]?.revision == 1)
            let again = try await a.cli(["run", "--dry-run", "--json"])
            let steps = (try Self.json(again.output) as? [String: Any])?["steps"] as? [String]
            #expect(Set(steps ?? []) == ["download from-b.txt", "upload from-a.txt", "upload keep/same.txt over r1"], "\(again.output)")
            let busy = try await b.cli(["run", "--dry-run"])
            #expect(busy.status != 0 && busy.output.contains("syncd is running on this folder"), "\(busy.output)")
            // The real pass does what the plan said.
            try a.start()
            try await waitUntil("the plan carried out") {
                let onServer = try await world.serverFiles(token)["from-a.txt"] != nil
                return a.read("from-b.txt") == "b's" && onServer
            }
            await a.stop()
            await b.stop()
        }
    }

    /// `syncd login --token-stdin` with `token` on standard input.
    static func login(_ daemon: DaemonHandle, world: EndToEnd, token: String) async throws -> (status: Int32?, output: String) {
        let command =
            "printf '%s\\n' \"$T\" | \(world.binaries)/syncd login --server \(world.serverURL) --token-stdin --config-dir \(daemon.paths.configDir) --state-dir \(daemon.paths.stateDir)"
        let process = try ChildProcess(
            "/bin/sh",
            ["-c", command],
            environment: ["T": token, "HOME": world.dir, "PATH": "/usr/bin:/bin"],
            log: world.dir + "/login-\(UUID().uuidString.prefix(6)).out",
            name: "syncd login"
        )
        let status = await process.waitForExit(timeout: .seconds(30))
        return (status, process.log)
    }

    @Test func aLoginToAnotherAccountIsAFirstSyncThatDeletesNothing() async throws {
        try await EndToEnd.with("cli-relogin") { world in
            let alice = try await world.issueToken(email: "alice@example.org", device: "laptop")
            let bob = try await world.issueToken(email: "bob@example.org", device: "laptop")
            let a = try world.daemon("host-a", token: alice)
            try a.write("mine/notes.txt", "alice's notes")
            try a.start()
            try await waitUntil("synced") { try await world.serverFiles(alice)["mine/notes.txt"] != nil }
            await a.stop()
            // The harness's credentials do not name their account: a login cannot tell it is the
            // same one, so the journal is set aside (and the next run merges, changing nothing).
            let first = try await Self.login(a, world: world, token: alice)
            #expect(first.status == 0 && first.output.contains("Connected to \(world.serverURL) as alice@example.org"), "\(first.output)")
            #expect(first.output.contains("it is kept as"), "\(first.output)")
            try a.start()
            try await waitUntil("a is idle again") { (try? a.status().state) == .idle }
            await a.stop()
            let same = try await Self.login(a, world: world, token: alice)
            #expect(same.status == 0 && !same.output.contains("kept as"), "the same account keeps its journal: \(same.output)")
            #expect(FileManager.default.fileExists(atPath: a.paths.journalFile))

            // Another account: the journal is set aside; the first pass uploads the folder to
            // bob's account and deletes nothing here (alice's journal would have said "gone").
            let other = try await Self.login(a, world: world, token: bob)
            #expect(other.status == 0 && other.output.contains("was for alice@example.org on \(world.serverURL)"), "\(other.output)")
            #expect(!FileManager.default.fileExists(atPath: a.paths.journalFile))
            try a.start()
            try await waitUntil("bob has the folder") { try await world.serverFiles(bob)["mine/notes.txt"] != nil }
            try await waitUntil("a is idle") { (try? a.status().state) == .idle }
            #expect(a.read("mine/notes.txt") == "alice's notes", "nothing deleted here")
            #expect(try await world.serverFiles(alice)["mine/notes.txt"] != nil, "nor in alice's account")
            let busy = try await Self.login(a, world: world, token: alice)
            #expect(busy.status != 0 && busy.output.contains("stop it first"), "\(busy.output)")
            await a.stop()
        }
    }

    static func status(_ url: String) async throws -> UInt {
        try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5)).status.code
    }
}
