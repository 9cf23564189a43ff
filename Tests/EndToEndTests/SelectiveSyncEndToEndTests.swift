import Foundation
import SyncAPI
import SyncDaemon
import Testing

/// Selective sync with the real binaries, server and SeaweedFS: a device excludes a folder
/// while another keeps changing it, then includes it again; a folder excluded in the
/// configuration.
@Suite(.timeLimit(.minutes(4))) struct SelectiveSyncEndToEndTests {
    @Test func excludingAndIncludingAFolderWhileAnotherDeviceChangesIt() async throws {
        try await EndToEnd.with("selective") { world in
            let token = try await world.issueToken(device: "host-a")
            let a = try world.daemon("host-a", token: token)
            let b = try world.daemon("host-b", token: try await world.issueToken(device: "host-b"))
            try a.write("Photos/a.jpg", "photo a")
            try a.write("Photos/2019/b.jpg", "photo b")
            try a.write("Docs/c.txt", "doc c")
            try a.start()
            try b.start()
            try await waitUntil("b has a's files") { b.read("Photos/2019/b.jpg") == "photo b" && b.read("Docs/c.txt") == "doc c" }
            try await waitUntil("b is idle") { try b.status().state == .idle }

            // b writes a file into Photos and excludes it at once: the file reaches the server
            // before the local copy goes.
            try b.write("Photos/from-b.jpg", "written on b just before")
            let add = try await b.cli(["exclude", "add", "Photos"])
            #expect(add.status == 0 && add.output.contains("Photos is excluded"), "\(add.output)")
            try await waitUntil("b's copy of Photos is gone", timeout: .seconds(60)) {
                !FileManager.default.fileExists(atPath: b.path("Photos"))
            }
            let files = try await world.serverFiles(token)
            #expect(files["Photos/from-b.jpg"]?.size == 24, "b's last change is on the server")
            #expect(files["Photos/a.jpg"] != nil && files["Photos/2019/b.jpg"] != nil, "nothing was deleted on the server")
            #expect(b.read("Docs/c.txt") == "doc c")
            try await waitUntil("a has b's file") { a.read("Photos/from-b.jpg") == "written on b just before" }
            #expect(a.read("Photos/a.jpg") == "photo a", "the other device keeps the folder")

            let listed = try await b.cli(["exclude", "list", "--json"])
            let start = listed.output.firstIndex(of: "[") ?? listed.output.startIndex
            let folders = try JSONDecoder().decode([DaemonStatus.ExcludedFolder].self, from: Data(listed.output[start...].utf8))
            #expect(folders == [DaemonStatus.ExcludedFolder(path: "Photos", configured: false, leaving: false)], "\(listed.output)")
            let status = try b.status()
            #expect(status.excluded == [DaemonStatus.ExcludedFolder(path: "Photos", configured: false, leaving: false)])
            // The dashboard's view of devices shows what b keeps off its disk.
            try await waitUntil("the server knows b's excluded folders") {
                let devices: [DeviceInfo] = try await world.api(token).get("/devices")
                return devices.first { $0.name == "host-b" }?.excludedFolders == ["Photos"]
                    && devices.first { $0.name == "host-a" }?.excludedFolders == []
            }
            let statusText = try await b.command(["status"])
            #expect(statusText.contains("Excluded from this device") && statusText.contains("  Photos"), "\(statusText)")

            // a keeps changing Photos; b gets none of it, but still gets everything else (the
            // marker comes after the Photos changes in the feed: once b has it, it has seen them).
            try a.write("Photos/new.jpg", "new on a")
            try a.write("Photos/a.jpg", "photo a, edited on a")
            try? FileManager.default.removeItem(atPath: a.path("Photos/2019/b.jpg"))
            try await waitUntil("a's changes are on the server") {
                let files = try await world.serverFiles(token)
                return files["Photos/new.jpg"] != nil && files["Photos/2019/b.jpg"] == nil
            }
            try a.write("Docs/marker.txt", "after the Photos changes")
            try await waitUntil("b has the marker") { b.read("Docs/marker.txt") == "after the Photos changes" }
            #expect(!FileManager.default.fileExists(atPath: b.path("Photos")), "nothing of an excluded folder is downloaded")

            // A folder made on b under the excluded name is renamed, not merged.
            try b.write("Photos/mine.txt", "made on b")
            let renamed = "Photos (selective sync conflict)/mine.txt"
            try await waitUntil("b's own Photos folder is renamed and synced", timeout: .seconds(60)) {
                try await world.serverFiles(token)[renamed] != nil
            }
            #expect(b.read(renamed) == "made on b")
            try await waitUntil("a has the renamed folder") { a.read(renamed) == "made on b" }
            #expect(try await world.serverFiles(token)["Photos/mine.txt"] == nil, "nothing went into the excluded folder")

            // Included again: b downloads Photos as it is now.
            let remove = try await b.cli(["exclude", "remove", "Photos"])
            #expect(remove.status == 0 && remove.output.contains("included again"), "\(remove.output)")
            try await waitUntil("b has Photos again", timeout: .seconds(60)) {
                b.read("Photos/a.jpg") == "photo a, edited on a" && b.read("Photos/new.jpg") == "new on a"
                    && b.read("Photos/from-b.jpg") == "written on b just before"
            }
            #expect(b.read("Photos/2019/b.jpg") == nil, "a's deletion holds")
            let again = try await b.cli(["exclude", "remove", "Photos"])
            #expect(again.status != 0 && again.output.contains("is not excluded"), "\(again.output)")
            try await waitUntil("a and b agree") { try a.status().state == .idle && b.tree() == a.tree() }
            try await waitUntil("the server knows b excludes nothing now") {
                let devices: [DeviceInfo] = try await world.api(token).get("/devices")
                return devices.first { $0.name == "host-b" }?.excludedFolders == []
            }
            await a.stop()
            await b.stop()
        }
    }

    @Test func aFolderExcludedInTheConfigurationIsNeverDownloaded() async throws {
        try await EndToEnd.with("selective-config") { world in
            let token = try await world.issueToken()
            let a = try world.daemon("host-a", token: token)
            try a.write("Archive/old.txt", "old")
            try a.write("Work/now.txt", "now")
            try a.start()
            try await waitUntil("a's files are on the server") { try await world.serverFiles(token)["Work/now.txt"] != nil }
            let c = try world.daemon("host-c", token: token, config: "exclude = [\"/Archive/\"]")
            try c.start()
            try await waitUntil("c has Work") { c.read("Work/now.txt") == "now" }
            try await waitUntil("c is idle") { try c.status().state == .idle }
            #expect(!FileManager.default.fileExists(atPath: c.path("Archive")))
            #expect(try c.status().excluded == [DaemonStatus.ExcludedFolder(path: "Archive", configured: true, leaving: false)])
            let remove = try await c.cli(["exclude", "remove", "Archive"])
            #expect(remove.status != 0 && remove.output.contains("remove it there"), "\(remove.output)")
            let add = try await c.cli(["exclude", "add", "Archive/sub"])
            #expect(add.status == 0 && add.output.contains("excluded already (inside Archive)"), "\(add.output)")
            let root = try await c.cli(["exclude", "add", c.folder])
            #expect(root.status != 0 && root.output.contains("cannot be excluded"), "\(root.output)")
            await c.stop()
            await a.stop()
        }
    }
}
