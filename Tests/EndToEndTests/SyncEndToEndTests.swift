import Foundation
import S3Client
import SyncAPI
import SyncDaemon
import Testing

/// The real `syncd` and `syncd-server` binaries as processes, bytes on SeaweedFS: the main job
/// of the product, end to end.
@Suite(.serialized, .timeLimit(.minutes(10))) struct SyncEndToEndTests {
    @Test func localChangesReachTheServerAndS3() async throws {
        try await EndToEnd.with("local") { world in
            let token = try await world.issueToken()
            let a = try world.daemon("host-a", token: token)
            try a.write("notes.txt", "first")
            try a.write("docs/report.txt", "quarterly")
            try a.start()
            try await waitUntil("the first sync is on the server") {
                let files = try await world.serverFiles(token)
                return files["notes.txt"]?.sha256 == identityHex(Data("first".utf8)) && files["docs/report.txt"] != nil
            }
            // Every object is encrypted (SSE-S3) and holds exactly the bytes its hash names.
            let files = try await world.serverFiles(token)
            for path in ["notes.txt", "docs/report.txt"] {
                let hash = try #require(files[path]?.sha256)
                let objects = try await world.s3.listAllObjects(bucket: world.bucket).collect().map(\.key).filter { $0.hasSuffix("/" + hash) }
                let key = try #require(objects.first, "no object for \(path)")
                let head = try await world.s3.headObject(bucket: world.bucket, key: key)
                #expect(head.serverSideEncryption == .aes256, "\(path) is stored with SSE-S3")
                let (_, bytes) = try await world.s3.getObject(bucket: world.bucket, key: key)
                #expect(identityHex(Data(bytes)) == hash)
            }

            // Modify, rename, move across folders, delete a file and a folder.
            try a.write("notes.txt", "second")
            try await waitUntil("the edit is on the server") {
                try await world.serverFiles(token)["notes.txt"]?.sha256 == identityHex(Data("second".utf8))
            }
            let reportId = try await world.serverFiles(token)["docs/report.txt"]?.id
            try FileManager.default.moveItem(atPath: a.path("docs/report.txt"), toPath: a.path("docs/report-2026.txt"))
            try await waitUntil("the rename is on the server") { try await world.serverFiles(token)["docs/report-2026.txt"] != nil }
            #expect(try await world.serverFiles(token)["docs/report-2026.txt"]?.id == reportId, "a rename is a move: the item keeps its identity")
            try FileManager.default.createDirectory(atPath: a.path("archive"), withIntermediateDirectories: true)
            try FileManager.default.moveItem(atPath: a.path("docs/report-2026.txt"), toPath: a.path("archive/report-2026.txt"))
            try await waitUntil("the move across folders is on the server") {
                let files = try await world.serverFiles(token)
                return files["archive/report-2026.txt"]?.id == reportId && files["docs/report-2026.txt"] == nil
            }
            try FileManager.default.removeItem(atPath: a.path("notes.txt"))
            try FileManager.default.removeItem(atPath: a.path("docs"))
            try await waitUntil("the deletions are on the server") {
                let files = try await world.serverFiles(token)
                return files["notes.txt"] == nil && files["docs"] == nil
            }
            // Deleted means in the trash, restorable: nothing is lost.
            let trash: [TrashedItem] = try await world.api(token).get("/trash")
            #expect(Set(trash.map(\.path)).isSuperset(of: ["notes.txt", "docs"]))
            #expect(Set(try await world.serverFiles(token).keys) == ["archive", "archive/report-2026.txt"])
            await a.stop()
        }
    }

    @Test func aMovedFolderOfAThousandFilesIsOneMove() async throws {
        try await EndToEnd.with("bigmove") { world in
            let token = try await world.issueToken()
            let a = try world.daemon("host-a", token: token)
            let b = try world.daemon("host-b", token: token)
            for i in 0..<1000 { try a.write("photos/img-\(i).txt", "photo \(i)") }
            try a.start()
            try await waitUntil("1,000 files are on the server", timeout: .seconds(120)) {
                try await world.serverFiles(token).keys.filter { $0.hasPrefix("photos/") }.count == 1000
            }
            try b.start()
            try await waitUntil("b has the 1,000 files", timeout: .seconds(120)) { b.read("photos/img-999.txt") == "photo 999" }
            let downloadedBefore = try b.status().bytesDownloaded
            let before = try await world.serverFiles(token)
            let uploadsBefore = try await world.metric("syncd_server_uploads_completed_total")
            let sentBefore = try a.status().bytesUploaded
            #expect(uploadsBefore == 1000)

            try FileManager.default.moveItem(atPath: a.path("photos"), toPath: a.path("pictures"))
            try await waitUntil("the folder moved on the server", timeout: .seconds(60)) {
                let files = try await world.serverFiles(token)
                return files.keys.filter { $0.hasPrefix("pictures/") }.count == 1000 && files["photos"] == nil
            }
            let after = try await world.serverFiles(token)
            #expect(try await world.metric("syncd_server_uploads_completed_total") == uploadsBefore, "no file was uploaded again")
            #expect(try a.status().bytesUploaded == sentBefore)
            #expect(after["pictures/img-7.txt"]?.id == before["photos/img-7.txt"]?.id, "the items kept their identity")
            // The feed says it in one entry; the second device moves its folder, downloading nothing.
            try await waitUntil("b shows the move", timeout: .seconds(60)) {
                b.read("pictures/img-999.txt") == "photo 999" && !FileManager.default.fileExists(atPath: b.path("photos"))
            }
            #expect(try b.status().bytesDownloaded == downloadedBefore, "b moved its folder and fetched nothing again")
            #expect(b.tree().keys.filter { $0.hasPrefix("pictures/") }.count == 1000)
            await a.stop()
            await b.stop()
        }
    }

    @Test func twoDaemonsKeepTwoFoldersTheSameAndConflictsKeepBoth() async throws {
        try await EndToEnd.with("two") { world in
            let token = try await world.issueToken()
            let a = try world.daemon("host-a", token: token)
            let b = try world.daemon("host-b", token: token)
            try a.start()
            try b.start()
            try a.write("shared/plan.txt", "v1 from a")
            try await waitUntil("b has a's file") { b.read("shared/plan.txt") == "v1 from a" }
            try b.write("from-b.txt", "hello from b")
            try await waitUntil("a has b's file") { a.read("from-b.txt") == "hello from b" }

            // The same file edited on both sides while b is stopped.
            await b.stop()
            try a.write("shared/plan.txt", "v2 from a")
            try await waitUntil("a's edit is on the server") {
                try await world.serverFiles(token)["shared/plan.txt"]?.sha256 == identityHex(Data("v2 from a".utf8))
            }
            try b.write("shared/plan.txt", "v2 from b")
            try b.start()
            try await waitUntil("both folders hold both versions", timeout: .seconds(60)) {
                let (ta, tb) = (a.tree(), b.tree())
                return ta == tb && ta.values.filter { $0 == "v2 from a" || $0 == "v2 from b" }.count == 2
            }
            let tree = a.tree()
            #expect(tree["shared/plan.txt"] == "v2 from a", "the server's version keeps the name")
            let copy = try #require(tree.keys.first { $0.hasPrefix("shared/plan (conflicted copy from host-b") })
            #expect(tree[copy] == "v2 from b", "b's edit is kept beside it, nothing lost")
            #expect(try b.status().conflicts.count == 1)
            await a.stop()
            await b.stop()
        }
    }

    @Test func aFileUploadedThroughTheAPIAppearsInTheFolder() async throws {
        try await EndToEnd.with("api") { world in
            let token = try await world.issueToken()
            let a = try world.daemon("host-a", token: token)
            try a.start()
            try await waitUntil("the daemon is idle") { (try? a.status().state) == .idle }
            // What the dashboard does: begin, PUT to the presigned URL, complete.
            let browserToken = try await world.issueToken(device: "dashboard")
            let content = Data("uploaded in the browser".utf8)
            let file = world.dir + "/upload.txt"
            try content.write(to: URL(fileURLWithPath: file))
            let api = world.api(browserToken)
            let plan: BeginUploadResponse = try await api.post(
                "/uploads",
                BeginUploadRequest(
                    path: "from-browser.txt",
                    size: Int64(content.count),
                    sha256: identityHex(content),
                    blockSha256: blockSha256(content)
                )
            )
            try await PresignedTransfer().put(url: try #require(plan.url), headers: plan.headers, file: file)
            let started = ContinuousClock.now
            let _: FileMetadata = try await api.post("/uploads/\(try #require(plan.uploadId))/complete", CompleteUploadRequest())
            try await waitUntil("the file is in the folder", timeout: .seconds(10)) { a.read("from-browser.txt") == "uploaded in the browser" }
            print("server change → file in the folder: \(ContinuousClock.now - started)")
            await a.stop()
        }
    }

    @Test func killedMidUploadItResumesFromItsFinishedParts() async throws {
        try await EndToEnd.with("resume") { world in
            let token = try await world.issueToken()
            // One part at a time, so that the kill lands mid-way.
            let a = try world.daemon("host-a", token: token, config: "[transfers]\npart_concurrency = 1")
            let big = a.path("big.bin")
            _ = FileManager.default.createFile(atPath: big, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
            let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
            for _ in 0..<200 { handle.write(random.readData(ofLength: 1 << 20)) }
            try handle.close()
            try random.close()
            let hash = identityHex(try Data(contentsOf: URL(fileURLWithPath: big)))
            try a.start()

            var partsBeforeKill = 0
            try await waitUntil("some parts are in S3", timeout: .seconds(60)) {
                guard let upload = try await world.s3.listMultipartUploads(bucket: world.bucket).first else { return false }
                partsBeforeKill = try await world.s3.listParts(bucket: world.bucket, key: upload.key, uploadId: upload.uploadId).count
                return partsBeforeKill >= 3
            }
            await a.crash()
            let uploads = try await world.s3.listMultipartUploads(bucket: world.bucket)
            #expect(uploads.count == 1)
            let held = try await world.s3.listParts(bucket: world.bucket, key: uploads[0].key, uploadId: uploads[0].uploadId).count
            #expect(held >= partsBeforeKill)

            try a.start()
            try await waitUntil("the file is on the server", timeout: .seconds(120)) {
                try await world.serverFiles(token)["big.bin"]?.sha256 == hash
            }
            let resumed = try #require(a.log.split(separator: "\n").first { $0.contains("resumed upload") })
            // A part in flight at the kill can still land in S3 after the listing above, so the
            // restart keeps at least the parts seen, maybe one more.
            let kept = resumed.split(separator: " ").first { $0.hasPrefix("parts_kept=") }.flatMap { Int($0.dropFirst("parts_kept=".count)) }
            #expect(kept.map { $0 >= held && $0 < 25 } == true, "resumed from the \(held) parts S3 held: \(resumed)")
            // One part per 8 MiB block of the content identity.
            #expect(resumed.contains("parts_total=25"))
            print("after kill -9: \(held) parts in S3; \(resumed)")
            #expect(try await world.s3.listMultipartUploads(bucket: world.bucket).isEmpty, "no multipart upload is left open")
            // The object is the file, byte for byte.
            let signed: DownloadResponse = try await world.api(token).get("/download?path=big.bin")
            let copy = world.dir + "/big.copy"
            try await PresignedTransfer().get(url: signed.url, toFile: copy)
            #expect(identityHex(try Data(contentsOf: URL(fileURLWithPath: copy))) == hash)
            await a.stop()
        }
    }

    @Test func aRestartAfterChangesOnBothSidesConverges() async throws {
        try await EndToEnd.with("restart") { world in
            let token = try await world.issueToken()
            let a = try world.daemon("host-a", token: token)
            let b = try world.daemon("host-b", token: token)
            try a.write("keep.txt", "keep")
            try a.write("edit-on-b.txt", "original")
            try a.write("delete-on-a.txt", "doomed")
            try a.start()
            try b.start()
            try await waitUntil("b caught up") { b.tree() == a.tree() && b.tree().count == 3 }
            await b.stop()
            // While b is down: changes on a (through the server) and in b's folder.
            try a.write("new-on-a.txt", "made on a")
            try FileManager.default.removeItem(atPath: a.path("delete-on-a.txt"))
            try b.write("edit-on-b.txt", "edited on b")
            try b.write("new-on-b.txt", "made on b")
            try await waitUntil("a's changes are on the server") {
                let files = try await world.serverFiles(token)
                return files["new-on-a.txt"] != nil && files["delete-on-a.txt"] == nil
            }
            try b.start()
            let expected = [
                "keep.txt": "keep", "edit-on-b.txt": "edited on b", "new-on-a.txt": "made on a", "new-on-b.txt": "made on b",
            ]
            try await waitUntil("both folders converged", timeout: .seconds(60)) { a.tree() == expected && b.tree() == expected }
            await a.stop()
            await b.stop()
        }
    }

    @Test func emptyingTheFolderDeletesNothingAndStatusSaysWhy() async throws {
        try await EndToEnd.with("brake") { world in
            let token = try await world.issueToken()
            let a = try world.daemon("host-a", token: token)
            for i in 0..<60 { try a.write("data/file-\(i).txt", "content \(i)") }
            try a.start()
            try await waitUntil("60 files are on the server", timeout: .seconds(60)) {
                try await world.serverFiles(token).keys.filter { $0.hasPrefix("data/") }.count == 60
            }
            // As an unmounted disk looks: the folder is there, empty.
            for i in 0..<60 { try FileManager.default.removeItem(atPath: a.path("data/file-\(i).txt")) }
            try await waitUntil("the brake holds") { (try? a.status().state) == .held }
            let status = try await a.command(["status"])
            #expect(status.contains("deletions held") && status.contains("syncd resume --allow-deletes"), "\(status)")
            try await Task.sleep(for: .seconds(1))
            #expect(try await world.serverFiles(token).keys.filter { $0.hasPrefix("data/") }.count == 60, "nothing was deleted on the server")

            // The owner confirms: now they go (to the trash).
            _ = try await a.command(["resume", "--allow-deletes"])
            try await waitUntil("the deletions went through", timeout: .seconds(30)) {
                try await world.serverFiles(token).keys.filter { $0.hasPrefix("data/") }.isEmpty
            }
            await a.stop()
        }
    }

    @Test func backupModePushesOnlyAndDeletesToTheTrash() async throws {
        try await EndToEnd.with("backup") { world in
            let token = try await world.issueToken()
            let a = try world.daemon("server-01", token: token, config: "mode = \"backup\"")
            try a.write("db/dump.sql", "create table t;")
            try a.start()
            try await waitUntil("the backup is on the server") { try await world.serverFiles(token)["db/dump.sql"] != nil }
            // Something added elsewhere is not pulled into a backup folder.
            let other = try world.daemon("laptop", token: token)
            try other.write("laptop-only.txt", "not for the server's disk")
            try other.start()
            try await waitUntil("the laptop's file is on the server") { try await world.serverFiles(token)["laptop-only.txt"] != nil }
            try FileManager.default.removeItem(atPath: a.path("db/dump.sql"))
            try await waitUntil("the local deletion reached the server") { try await world.serverFiles(token)["db/dump.sql"] == nil }
            let trash: [TrashedItem] = try await world.api(token).get("/trash")
            #expect(trash.contains { $0.path == "db/dump.sql" }, "a backup deletion goes to the trash")
            #expect(a.read("laptop-only.txt") == nil, "backup mode never downloads")
            #expect(try a.status().mode == "backup")
            await other.stop()
            await a.stop()
        }
    }

    @Test func aDaemonWhoseServerIsGoneStillStopsCleanly() async throws {
        try await EndToEnd.with("outage") { world in
            let token = try await world.issueToken()
            let a = try world.daemon("host-a", token: token)
            try a.start()
            try await waitUntil("the daemon is idle") { (try? a.status().state) == .idle }
            await world.stopServer()
            try a.write("during-outage.txt", "waits for the server")
            try await waitUntil("the status says offline", timeout: .seconds(30)) { (try? a.status().state) == .offline }
            let status = try await a.command(["status"])
            #expect(status.contains("Offline"), "\(status)")
            // SIGTERM in the middle of failing passes and a backing-off change feed: exit 0.
            await a.stop()
            #expect(a.log.contains("stopped"))
        }
    }

    @Test func pauseHoldsChangesUntilResume() async throws {
        try await EndToEnd.with("pause") { world in
            let token = try await world.issueToken()
            let a = try world.daemon("host-a", token: token)
            try a.start()
            try await waitUntil("the daemon is idle") { (try? a.status().state) == .idle }
            let paused = try await a.command(["pause"])
            #expect(paused.contains("Paused"))
            try a.write("while-paused.txt", "waits")
            try await Task.sleep(for: .seconds(2))
            #expect(try await world.serverFiles(token)["while-paused.txt"] == nil, "nothing syncs while paused")
            _ = try await a.command(["resume"])
            try await waitUntil("it syncs after resume") { try await world.serverFiles(token)["while-paused.txt"] != nil }
            await a.stop()
        }
    }
}
