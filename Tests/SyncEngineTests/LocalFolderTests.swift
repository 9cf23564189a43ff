import Foundation
import Glibc
import SyncAPI
import Testing

@testable import SyncEngine

/// The scanner, ignore rules and atomic installs on a real temporary folder.
@Suite struct LocalFolderTests {
    func p(_ s: String) -> RelativePath { RelativePath(s)! }
    func sha(_ text: String) throws -> String {
        let folder = try TestFolder()
        try folder.write("x", text)
        return try ContentHash.hash(path: folder.root + "/x")
    }

    @Test func scanDescribesTheFolderAndSkipsWhatItMust() throws {
        let folder = try TestFolder()
        try folder.write("a.txt", "alpha")
        try folder.write("docs/b.md", "beta")
        try folder.mkdir("empty")
        try folder.write("docs/.b.md.swp", "swap")
        try folder.write(".syncd/journal.sqlite", "state")
        #expect(symlink("/etc/passwd", folder.root + "/link") == 0)
        #expect(mkfifo(folder.root + "/pipe", 0o600) == 0)
        let badName = Array("bad-\u{FF}".utf8.dropLast(2)) + [0xFF, 0xFE]
        let badPath = Array((folder.root + "/").utf8) + badName + [0]
        let fd = badPath.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644) } }
        #expect(fd >= 0)
        close(fd)

        let scanner = FolderScanner(root: folder.root, ignore: IgnoreRules())
        let result = try scanner.scan(previous: LocalTree())
        #expect(Set(result.tree.paths.map(\.string)) == ["a.txt", "docs", "docs/b.md", "empty"])
        #expect(result.tree[p("a.txt")]?.contentHash == (try sha("alpha")))
        #expect(result.tree[p("a.txt")]?.size == 5)
        #expect(result.tree[p("empty")]?.kind == .folder)
        #expect(Set(result.problems.map(\.kind)) == [.symlink, .special, .invalidName])
        #expect(result.filesHashed == 2)
    }

    @Test func unchangedFilesAreNotHashedAgain() throws {
        let folder = try TestFolder()
        try folder.write("a.txt", "alpha")
        try folder.write("b.txt", "beta")
        let scanner = FolderScanner(root: folder.root, ignore: IgnoreRules())
        let first = try scanner.scan(previous: LocalTree())
        #expect(first.filesHashed == 2)
        let second = try scanner.scan(previous: first.tree)
        #expect(second.filesHashed == 0)
        #expect(second.tree == first.tree)
        try folder.write("b.txt", "beta, edited")
        let third = try scanner.scan(previous: second.tree)
        #expect(third.filesHashed == 1)
        #expect(third.tree[p("b.txt")]?.contentHash == (try sha("beta, edited")))
    }

    @Test func subtreeScanAndMovedFolderKeepsInodes() throws {
        let folder = try TestFolder()
        try folder.write("music/a.mp3", "a")
        try folder.write("music/sub/b.mp3", "b")
        try folder.write("other.txt", "o")
        let scanner = FolderScanner(root: folder.root, ignore: IgnoreRules())
        let before = try scanner.scan(previous: LocalTree()).tree
        #expect(rename(folder.root + "/music", folder.root + "/songs") == 0)
        let sub = try scanner.scan(subtree: p("songs"), previous: before).tree
        #expect(Set(sub.paths.map(\.string)) == ["songs", "songs/a.mp3", "songs/sub", "songs/sub/b.mp3"])
        #expect(sub[p("songs/sub/b.mp3")]?.inode == before[p("music/sub/b.mp3")]?.inode)
        #expect(try scanner.scan(subtree: p("music"), previous: before).tree.entries.isEmpty, "a vanished subtree scans empty")
    }

    @Test func missingRootStopsTheScan() throws {
        let scanner = FolderScanner(root: "/nonexistent/syncd-folder", ignore: IgnoreRules())
        #expect(throws: ScanError.self) { try scanner.scan(previous: LocalTree()) }
    }

    @Test func ignoreRulesFollowGitignore() {
        let rules = IgnoreRules(
            """
            # build output
            build/
            *.log
            !keep.log
            /top-only.txt
            docs/**/draft-*
            **/cache
            """
        )
        func ignored(_ path: String, folder: Bool = false) -> Bool { rules.isIgnored(RelativePath(path)!, isFolder: folder) }
        #expect(ignored("build", folder: true) && ignored("src/build", folder: true))
        #expect(!ignored("build"), "build/ matches folders only")
        #expect(ignored("a.log") && ignored("deep/x/b.log") && !ignored("keep.log") && !ignored("x/keep.log"))
        #expect(ignored("top-only.txt") && !ignored("sub/top-only.txt"))
        #expect(ignored("docs/draft-1") && ignored("docs/a/b/draft-2") && !ignored("other/draft-3"))
        #expect(ignored("cache") && ignored("x/y/cache", folder: true))
        #expect(ignored(".syncd", folder: true) && ignored("notes.txt.swp") && ignored(".~lock.report.odt#") && ignored("backup~"))
        #expect(ignored("sub/.syncd-tmp-abc123"))
        #expect(!ignored("normal.txt") && !ignored("docs/final.md"))
    }

    @Test(arguments: [LocalFolder.Resolution.openat2, .perComponent])
    func atomicInstallVerifiesAndNeverOverwritesAChange(resolution: LocalFolder.Resolution) throws {
        let folder = try TestFolder()
        let local = try LocalFolder(root: folder.root, resolution: resolution)
        let target = p("report.txt")
        func download(_ text: String, beside: RelativePath? = nil) throws -> LocalFolder.TemporaryFile {
            let temporary = try local.makeTemporary(beside: beside ?? target)
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary.path))
            return temporary
        }
        let v1 = try sha("version 1")
        let installed = try local.install(try download("version 1"), at: target, expectedHash: v1, replacing: nil)
        #expect(folder.read("report.txt") == "version 1")

        // Corrupted download: refused, nothing left behind.
        let bad = try download("version 2, corrupted")
        #expect { try local.install(bad, at: target, expectedHash: try sha("version 2"), replacing: installed) } throws: {
            ($0 as? LocalFileError)?.code == .hashMismatch
        }

        // The user edits the file after the scan: the download must not replace the edit.
        try folder.write("report.txt", "my edit")
        let v2 = try download("version 2")
        #expect { try local.install(v2, at: target, expectedHash: try sha("version 2"), replacing: installed) } throws: {
            ($0 as? LocalFileError)?.code == .changedSinceScan
        }
        #expect(folder.read("report.txt") == "my edit")

        // A file appearing where the scan saw nothing is not replaced either.
        try folder.write("new.txt", "mine")
        let other = try download("theirs", beside: p("new.txt"))
        #expect { try local.install(other, at: p("new.txt"), expectedHash: try sha("theirs"), replacing: nil) } throws: {
            ($0 as? LocalFileError)?.code == .changedSinceScan
        }
        #expect(folder.read("new.txt") == "mine")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.root).filter { $0.hasPrefix(".syncd-tmp-") }
        #expect(leftovers.isEmpty, "every refused download's temporary file is removed")
    }
}
