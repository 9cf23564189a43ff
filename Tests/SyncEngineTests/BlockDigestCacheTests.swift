import Foundation
import S3Client
import SyncAPI
import Testing

@testable import SyncEngine

/// The scan's block digests reach the upload, so that a big file is read and hashed once, not
/// twice; only digests that are the scanned content's are ever handed on.
@Suite struct BlockDigestCacheTests {
    @Test func aScanHandsEachHashedFilesBlockDigestsToItsUpload() async throws {
        let folder = try TestFolder()
        var bytes = Data(count: Int(ContentIdentity.baseBlockSize) + 1000)
        for i in stride(from: 0, to: bytes.count, by: 4096) { bytes[i] = UInt8(truncatingIfNeeded: i / 4096) }
        try bytes.write(to: URL(fileURLWithPath: folder.root + "/big.bin"))
        try folder.write("small.txt", "hello")

        let cache = BlockDigestCache()
        let scan = try FolderScanner(root: folder.root, ignore: IgnoreRules(), digests: cache).scan(previous: LocalTree())
        let local = try LocalFolder(root: folder.root)
        for (name, size) in [("big.bin", Int64(bytes.count)), ("small.txt", 5)] {
            let path = RelativePath(name)!
            let entry = try #require(scan.tree[path])
            let digests = try await local.withUploadSource(path, scanned: entry, digests: cache) { $0.blockDigests }
            // Each block's SHA-256 as S3Client's own checksum code reads it from the file.
            var expected: [String] = []
            for block in 1...ContentIdentity.blockCount(forFileSize: size) {
                let range = ContentIdentity.range(ofBlock: block, fileSize: size)
                expected.append(try await PresignedTransfer.checksum(.sha256, file: folder.root + "/" + name, range: range).base64)
            }
            #expect(digests?.map(ContentIdentity.base64) == expected, "\(name)")
        }

        // A file the scan did not hash (unchanged since the journal's entry) has none: its upload hashes it.
        let fresh = BlockDigestCache()
        let rescan = try FolderScanner(root: folder.root, ignore: IgnoreRules(), digests: fresh).scan(previous: scan.tree)
        #expect(rescan.filesHashed == 0)
        let path = RelativePath("big.bin")!
        let none = try await local.withUploadSource(path, scanned: try #require(rescan.tree[path]), digests: fresh) { $0.blockDigests }
        #expect(none == nil)
    }

    @Test func digestsThatAreNotTheContentsAreNeverGiven() {
        let cache = BlockDigestCache()
        let block = [UInt8](repeating: 1, count: 32)
        let identity = ContentIdentity.identity(blockDigests: [block])
        cache.insert([block], for: identity)
        #expect(cache.digests(for: identity, fileSize: 4096) == [block])
        #expect(cache.digests(for: identity, fileSize: ContentIdentity.baseBlockSize + 1) == nil, "two blocks for that size, one held")
        #expect(cache.digests(for: identity, fileSize: -1) == nil)
        #expect(cache.digests(for: identity, fileSize: 0) == nil, "the empty file has no blocks")

        // Filed under an identity they do not hash to (a bug, or a file changed mid-hash).
        let other = ContentIdentity.identity(blockDigests: [[UInt8](repeating: 2, count: 32)])
        cache.insert([block], for: other)
        #expect(cache.digests(for: other, fileSize: 4096) == nil)
        // A digest of the wrong length.
        let short = [[UInt8](repeating: 3, count: 31)]
        cache.insert(short, for: ContentIdentity.identity(blockDigests: short))
        #expect(cache.digests(for: ContentIdentity.identity(blockDigests: short), fileSize: 10) == nil)
    }

    @Test func theOldestHalfGoesWhenItIsFull() {
        let cache = BlockDigestCache(capacity: 4)
        func entry(_ n: UInt8) -> (String, [[UInt8]]) {
            let digests = [[UInt8](repeating: n, count: 32)]
            return (ContentIdentity.identity(blockDigests: digests), digests)
        }
        for n in UInt8(1)...5 {
            let (identity, digests) = entry(n)
            cache.insert(digests, for: identity)
        }
        // 1 and 2 filled the first half; 3 and 4 the next; 5 pushed 1 and 2 out.
        #expect(cache.digests(for: entry(1).0, fileSize: 10) == nil)
        #expect(cache.digests(for: entry(2).0, fileSize: 10) == nil)
        for n in UInt8(3)...5 { #expect(cache.digests(for: entry(n).0, fileSize: 10) == entry(n).1) }
        #expect(cache.count <= 4)
    }

    @Test func aFewHugeFilesWeighWhatManySmallOnesDo() {
        let cache = BlockDigestCache(capacity: 100)
        func digests(_ n: UInt8, blocks: Int) -> [[UInt8]] { (0..<blocks).map { [UInt8](repeating: n, count: 31) + [UInt8(truncatingIfNeeded: $0)] } }
        for n in UInt8(1)...10 {
            let d = digests(n, blocks: 40)
            cache.insert(d, for: ContentIdentity.identity(blockDigests: d))
            #expect(cache.digestCount <= 100, "after \(n) files of 40 blocks: \(cache.digestCount)")
        }
        // The newest is always kept, even one larger than a generation.
        let huge = digests(99, blocks: 300)
        let identity = ContentIdentity.identity(blockDigests: huge)
        cache.insert(huge, for: identity)
        #expect(cache.count == 2 && cache.digestCount == 340, "the newest whole, the one before it as the older generation")
    }

    /// `cp -p` or `touch -r` after a rewrite: same inode, size and mtime, other bytes. The
    /// scan's identity and digests are not sent for it; only the ctime tells.
    @Test func aRewriteThatKeepsSizeAndMtimeIsRescannedNotSent() async throws {
        let folder = try TestFolder()
        try folder.write("a.txt", "first version")
        let cache = BlockDigestCache()
        let scan = try FolderScanner(root: folder.root, ignore: IgnoreRules(), digests: cache).scan(previous: LocalTree())
        let path = RelativePath("a.txt")!
        let entry = try #require(scan.tree[path])
        let file = folder.root + "/a.txt"
        let handle = try #require(FileHandle(forWritingAtPath: file))
        try handle.write(contentsOf: Data("other version".utf8))
        try handle.close()
        let mtime = timespec(tv_sec: Int(entry.mtimeNs / 1_000_000_000), tv_nsec: Int(entry.mtimeNs % 1_000_000_000))
        var times = [mtime, mtime]
        #expect(utimensat(AT_FDCWD, file, &times, 0) == 0)
        let now = try #require(FileStatus.of(file))
        #expect(
            now.size == entry.size && now.mtimeNs == entry.mtimeNs && now.inode == entry.inode,
            "the status a size-and-mtime check sees is the scan's"
        )

        let local = try LocalFolder(root: folder.root)
        let refused = await #expect(throws: LocalFileError.self) {
            try await local.withUploadSource(path, scanned: entry, digests: cache) { _ in () }
        }
        #expect(refused?.code == .changedSinceScan)
        let rescan = try FolderScanner(root: folder.root, ignore: IgnoreRules(), digests: cache).scan(previous: scan.tree)
        #expect(rescan.filesHashed == 1, "the rescan hashes it again")
        #expect(rescan.tree[path]?.contentHash != entry.contentHash)
    }
}
