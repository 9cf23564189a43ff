import Foundation
import Glibc
import SyncAPI
import SyncDaemon
import Testing

/// The attack of issue 11 against the real binaries: device B's folder holds
/// `linked -> <a folder outside>`; device A creates a real folder `linked` with files in it.
/// B writes nothing outside its folder, says so once in its log and in `syncd status`, and keeps
/// syncing everything else.
@Suite struct ConfinementEndToEndTests {
    @Test func aLinkInTheFolderIsNeverWrittenThroughByTheDaemon() async throws {
        try await EndToEnd.with("links") { world in
            let token = try await world.issueToken()
            let outside = world.dir + "/outside"
            try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
            try Data("mine".utf8).write(to: URL(fileURLWithPath: outside + "/keep.txt"))
            let a = try world.daemon("host-a", token: token)
            let b = try world.daemon("host-b", token: token)
            #expect(symlink(outside, b.path("linked")) == 0)
            try a.start()
            try b.start()
            try a.write("linked/pwned.txt", "planted by a")
            try a.write("linked/deeper/.bash_profile", "planted too")
            try await waitUntil("b reports the link") {
                (try? b.status().errors.contains { $0.path == "linked" && $0.retryAt == nil }) == true
            }
            // Later passes (b receives another file) do not report it again or write through it.
            try a.write("ordinary.txt", "still synced")
            try await waitUntil("b has the ordinary file") { b.read("ordinary.txt") == "still synced" }
            let outsideNow = try FileManager.default.subpathsOfDirectory(atPath: outside)
            #expect(outsideNow == ["keep.txt"], "nothing written outside the folder: \(outsideNow)")
            let text = try await b.command(["status"])
            #expect(
                text.contains("Not synced on this device:") && text.contains("linked: a symbolic link stands where the server has a folder"),
                "\(text)"
            )
            let mentions = b.log.components(separatedBy: "symbolic link stands where the server has a folder").count - 1
            #expect(mentions == 1, "reported once:\n\(b.log)")
            #expect(try b.status().errors.filter { $0.retryAt != nil }.isEmpty, "nothing waits to retry: no retry storm")

            // The storage origin the server announces is the one its presigned URLs use.
            let storage: StorageInfo = try await world.api(token).get("/storage")
            let signed: DownloadResponse = try await world.api(token).get("/download?path=ordinary.txt")
            #expect(signed.url.hasPrefix(storage.origin + "/"), "\(signed.url) is under \(storage.origin)")
            await a.stop()
            await b.stop()
        }
    }
}
