import Foundation
import Glibc
import Synchronization
import Testing

@testable import SyncEngine

/// The inotify watcher on real temporary folders.
@Suite(.serialized, .timeLimit(.minutes(2))) struct FolderWatcherTests {
    typealias Hint = FolderWatcher.Hint

    func p(_ s: String) -> RelativePath { RelativePath(s)! }

    /// Runs `actions` while the watcher reads, then gives it time to settle and returns its hints.
    func hints(of watcher: FolderWatcher, during actions: () throws -> Void) async throws -> [Hint] {
        let collected = Mutex<[Hint]>([])
        let stream = watcher.hints()
        let reader = Task { for await hint in stream { collected.withLock { $0.append(hint) } } }
        try actions()
        try await Task.sleep(for: .milliseconds(500))
        watcher.stop()
        await reader.value
        return collected.withLock { $0 }
    }

    /// Whether some hint would make a rescan look at `path`.
    func covered(_ path: RelativePath, by hints: [Hint]) -> Bool {
        hints.contains { hint in
            switch hint {
            case .overflow: true
            case .changed(nil): true
            case .changed(let folder?): path == folder || path.isInside(folder)
            case .finished(let folder): path == folder || path.isInside(folder)
            case .moved(let from, let to): [from, to].contains { path == $0 || path.isInside($0) }
            case .watchLimitReached: false
            }
        }
    }

    @Test func createModifyDeleteAndNestedFoldersAreAllHinted() async throws {
        let folder = try TestFolder()
        try folder.write("existing/old.txt", "old")
        try folder.write("existing/edit.txt", "v1")
        let watcher = try FolderWatcher(root: folder.root, ignore: IgnoreRules())
        #expect(watcher.watchCount == 2)
        let hints = try await hints(of: watcher) {
            try folder.write("new.txt", "new")
            try folder.write("existing/edit.txt", "v2")
            try folder.rm("existing/old.txt")
            // A folder tree made in one go: its files exist before any watch on it can.
            try folder.write("deep/er/est/file.txt", "deep")
            try folder.write("deep/er/est/more/file2.txt", "deeper")
            try folder.write("notes.txt.swp", "ignored")
        }
        for path in ["new.txt", "existing/edit.txt", "existing/old.txt", "deep/er/est/file.txt", "deep/er/est/more/file2.txt"] {
            #expect(covered(p(path), by: hints), "\(path) not hinted: \(hints)")
        }
        #expect(!covered(p("notes.txt.swp"), by: hints.filter { $0 != .changed(nil) }), "ignored files are not hinted")
        #expect(!hints.contains(.overflow))
    }

    @Test func renamesArePairedIntoMoves() async throws {
        let folder = try TestFolder()
        try folder.write("a/file.txt", "x")
        try folder.write("b/keep.txt", "y")
        try folder.write("dir/inner.txt", "z")
        let watcher = try FolderWatcher(root: folder.root, ignore: IgnoreRules())
        let hints = try await hints(of: watcher) {
            folder.mv("a/file.txt", "a/renamed.txt")
            folder.mv("a/renamed.txt", "b/moved.txt")
            folder.mv("dir", "b/dir2")
            // After the folder moved, its watch must report the new path.
            try folder.write("b/dir2/after.txt", "w")
        }
        #expect(hints.contains(.moved(from: p("a/file.txt"), to: p("a/renamed.txt"))))
        #expect(hints.contains(.moved(from: p("a/renamed.txt"), to: p("b/moved.txt"))))
        #expect(hints.contains(.moved(from: p("dir"), to: p("b/dir2"))))
        #expect(covered(p("b/dir2/after.txt"), by: hints))
        #expect(
            !hints.contains {
                switch $0 {
                case .changed(let path?), .finished(let path): path.string.hasPrefix("dir/")
                default: false
                }
            },
            "no event is reported under the folder's old name"
        )
    }

    /// A file closed after writing may be looked at at once; one still open for writing is only
    /// a change (its writer may not be done), so the coalescer still waits for company.
    /// A delete or a rename inside the folder is often a save's first step (git, safe-write
    /// editors): not finished. A file arriving from outside is.
    @Test func aFileClosedAfterWritingIsFinishedAndOneStillOpenIsNot() async throws {
        let folder = try TestFolder()
        let outside = try TestFolder()
        try folder.write("old.txt", "going")
        try folder.write("renamed.txt", "moving")
        try outside.write("arriving.txt", "from elsewhere")
        let watcher = try FolderWatcher(root: folder.root, ignore: IgnoreRules())
        var writing: Int32 = -1
        let hints = try await hints(of: watcher) {
            try folder.write("done.txt", "all of it")
            writing = open(folder.root + "/writing.txt", O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
            #expect(writing >= 0 && write(writing, "half", 4) == 4)
            try folder.rm("old.txt")
            folder.mv("renamed.txt", "moved.txt")
            #expect(rename(outside.root + "/arriving.txt", folder.root + "/arrived.txt") == 0)
        }
        defer { close(writing) }
        #expect(hints.contains(.finished(p("done.txt"))), "\(hints)")
        #expect(hints.contains(.finished(p("arrived.txt"))), "\(hints)")
        #expect(covered(p("writing.txt"), by: hints))
        #expect(!hints.contains(.finished(p("writing.txt"))), "a file still open for writing is not finished: \(hints)")
        #expect(hints.contains(.changed(p("old.txt"))) && !hints.contains(.finished(p("old.txt"))), "\(hints)")
        #expect(hints.contains(.moved(from: p("renamed.txt"), to: p("moved.txt"))))
    }

    @Test func movingOutOfTheFolderIsAChangeAtTheOldPath() async throws {
        let folder = try TestFolder()
        let outside = try TestFolder()
        try folder.write("leaving.txt", "bye")
        let watcher = try FolderWatcher(root: folder.root, ignore: IgnoreRules())
        let hints = try await hints(of: watcher) {
            #expect(rename(folder.root + "/leaving.txt", outside.root + "/arrived.txt") == 0)
        }
        #expect(hints.contains(.changed(p("leaving.txt"))))
    }

    @Test func floodingTheQueueReportsOverflow() async throws {
        let folder = try TestFolder()
        let watcher = try FolderWatcher(root: folder.root, ignore: IgnoreRules())
        // Nobody reads yet: as many creations as the kernel queues events (create + close-write
        // each, so twice its limit) overflow the queue, whatever this machine's limit is.
        let limit = try #require(
            Int(
                String(contentsOfFile: "/proc/sys/fs/inotify/max_queued_events", encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            )
        )
        for i in 0..<limit {
            let fd = open(folder.root + "/f\(i)", O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
            close(fd)
        }
        // The overflow event comes after every queued one; a loaded machine reads them slowly,
        // so wait for it (up to a minute) instead of for a fixed time.
        let collected = Mutex<[Hint]>([])
        let stream = watcher.hints()
        let reader = Task { for await hint in stream { collected.withLock { $0.append(hint) } } }
        let deadline = ContinuousClock.now + .seconds(60)
        while !collected.withLock({ $0.contains(.overflow) }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        watcher.stop()
        await reader.value
        #expect(collected.withLock { $0.contains(.overflow) }, "\(collected.withLock { $0.count }) hints, no overflow")
    }

    /// Inside a user namespace with `max_inotify_watches` lowered, the machine's own limit
    /// untouched; run through `syncd watch`, the watcher's command-line face.
    @Test func runningOutOfWatchesNamesTheSysctl() throws {
        let folder = try TestFolder()
        for i in 0..<5 { try folder.write("d\(i)/f.txt", "x") }
        let syncd = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("syncd").path
        #expect(FileManager.default.isExecutableFile(atPath: syncd), "build syncd first (swift build)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = [
            "--user", "--map-root-user", "sh", "-c",
            "echo 3 > /proc/sys/user/max_inotify_watches && exec \"$0\" watch \"$1\" --seconds 0.3", syncd, folder.root,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("watching \(folder.root): 3 folders"))
        #expect(text.contains("inotify watch limit reached"))
        #expect(text.contains("sysctl fs.inotify.max_user_watches="))
    }
}
