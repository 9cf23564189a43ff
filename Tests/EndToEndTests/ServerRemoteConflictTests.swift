import Foundation
import S3Client
import SyncAPI
import SyncDaemon
import SyncEngine
import Testing

/// The daemon's remote turns the real server's 409 into the engine's ``RemoteConflict``, with
/// the item the server has now, so that the engine plans against it at once (issue 12, item 1).
@Suite(.serialized, .timeLimit(.minutes(5))) struct ServerRemoteConflictTests {
    @Test func a409CarriesTheServersCurrentItem() async throws {
        try await EndToEnd.with("conflict") { world in
            let token = try await world.issueToken()
            let journal = try Journal(path: world.dir + "/conflict-journal.sqlite")
            let remote = ServerRemote(api: world.api(token), journal: journal, board: TransferBoard())
            let path = RelativePath("a.txt")!
            let file = world.dir + "/a.txt"
            try Data("first".utf8).write(to: URL(fileURLWithPath: file))
            let first = try await remote.upload(
                try #require(UploadSource(path: path, file: file, contentHash: identityHex(Data("first".utf8)))),
                baseRevision: nil
            )

            // A stale base: the server says what it has (this very upload, same content).
            try Data("other".utf8).write(to: URL(fileURLWithPath: file))
            let stale = await #expect(throws: RemoteConflict.self) {
                try await remote.upload(
                    try #require(UploadSource(path: path, file: file, contentHash: identityHex(Data("other".utf8)))),
                    baseRevision: nil
                )
            }
            #expect(stale?.current == first, "the 409 names the current item")
            #expect(stale?.currentPath == path)

            let moved = await #expect(throws: RemoteConflict.self) {
                try await remote.move(path, to: RelativePath("b.txt")!, revision: first.revision + 7)
            }
            #expect(moved?.current == first)

            try await remote.delete(path, revision: first.revision)
            let gone = await #expect(throws: RemoteConflict.self) {
                try await remote.upload(
                    try #require(UploadSource(path: path, file: file, contentHash: identityHex(Data("other".utf8)))),
                    baseRevision: first.revision
                )
            }
            #expect(gone != nil && gone?.current == nil, "gone: nothing is there now")
        }
    }

    /// A download planned from an old listing learns what the server has now from the same
    /// answer, instead of failing and waiting for a back-off.
    @Test func aStaleDownloadCarriesTheServersCurrentItem() async throws {
        try await EndToEnd.with("conflict-download") { world in
            let token = try await world.issueToken()
            let journal = try Journal(path: world.dir + "/conflict-journal.sqlite")
            let remote = ServerRemote(api: world.api(token), journal: journal, board: TransferBoard())
            let path = RelativePath("a.txt")!
            let file = world.dir + "/a.txt"
            try Data("first".utf8).write(to: URL(fileURLWithPath: file))
            let first = try await remote.upload(
                try #require(UploadSource(path: path, file: file, contentHash: identityHex(Data("first".utf8)))),
                baseRevision: nil
            )
            try Data("second".utf8).write(to: URL(fileURLWithPath: file))
            let second = try await remote.upload(
                try #require(UploadSource(path: path, file: file, contentHash: identityHex(Data("second".utf8)))),
                baseRevision: first.revision
            )

            let stale = await #expect(throws: RemoteConflict.self) { try await remote.download(path, entry: first, to: world.dir + "/out.txt") }
            #expect(stale?.current == second, "the answer names the current item")
            #expect(stale?.currentPath == path)
            #expect(!FileManager.default.fileExists(atPath: world.dir + "/out.txt"), "nothing is written")
        }
    }

    /// A file rewritten between its scan and its upload (one block: the single PUT's digest no
    /// longer gives the scanned identity, refused at begin; two blocks: the parts do not, refused
    /// at complete) is news for the engine — rescan now — not a failure that backs off.
    @Test func aFileRewrittenUnderItsUploadAsksForARescan() async throws {
        try await EndToEnd.with("changed-upload") { world in
            let token = try await world.issueToken()
            let journal = try Journal(path: world.dir + "/changed-journal.sqlite")
            let remote = ServerRemote(api: world.api(token), journal: journal, board: TransferBoard())
            let file = world.dir + "/a.txt"
            try Data("first".utf8).write(to: URL(fileURLWithPath: file))
            let scanned = identityHex(Data("first".utf8))
            try Data("FIRST".utf8).write(to: URL(fileURLWithPath: file))
            let small = await #expect(throws: LocalFileError.self) {
                try await remote.upload(try #require(UploadSource(path: RelativePath("a.txt")!, file: file, contentHash: scanned)), baseRevision: nil)
            }
            #expect(small?.code == .changedSinceScan)

            // Two blocks, one byte rewritten in place (same size) after the scan.
            let big = world.dir + "/big.bin"
            let bytes = Data(repeating: 7, count: (8 << 20) + 4096)
            try bytes.write(to: URL(fileURLWithPath: big))
            let bigScanned = identityHex(bytes)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
            try handle.seek(toOffset: UInt64(bytes.count - 1))
            try handle.write(contentsOf: Data([8]))
            try handle.close()
            let during = await #expect(throws: LocalFileError.self) {
                try await remote.upload(
                    try #require(UploadSource(path: RelativePath("big.bin")!, file: big, contentHash: bigScanned)),
                    baseRevision: nil
                )
            }
            #expect(during?.code == .changedSinceScan)
            #expect(try await world.serverFiles(token).isEmpty, "nothing recorded")
        }
    }

    /// The parts are signed with the scan's block digests instead of hashing the file again.
    /// Bytes that are not the scan's (a rewrite the file's status did not show) are then refused
    /// by S3 part by part: the upload fails and nothing is stored or recorded.
    @Test func theScansDigestsNeverLetOtherBytesThrough() async throws {
        try await EndToEnd.with("stale-digests") { world in
            let token = try await world.issueToken()
            let journal = try Journal(path: world.dir + "/digests-journal.sqlite")
            let remote = ServerRemote(api: world.api(token), journal: journal, board: TransferBoard())
            let big = world.dir + "/big.bin"
            let scannedBytes = Data(repeating: 7, count: (8 << 20) + 4096)
            var hasher = ContentHasher(fileSize: Int64(scannedBytes.count))
            scannedBytes.withUnsafeBytes { hasher.update($0) }
            let finished = hasher.finalize()
            let scanned = try #require(finished)
            var nowBytes = scannedBytes
            nowBytes[10] = 8
            nowBytes[nowBytes.count - 1] = 8
            try nowBytes.write(to: URL(fileURLWithPath: big))
            let source = try #require(
                UploadSource(path: RelativePath("big.bin")!, file: big, contentHash: scanned.identity, blockDigests: scanned.blockDigests)
            )
            #expect(source.blockDigests?.count == 2, "the digests hash to the identity, so they are used")
            // S3 itself refuses the part (BadDigest): the engine hears "changed since the scan",
            // rescans at once, and no half-done upload is left to resume.
            let refused = await #expect(throws: LocalFileError.self) { try await remote.upload(source, baseRevision: nil) }
            #expect(refused?.code == .changedSinceScan, "\(String(describing: refused))")
            #expect(try journal.uploadSession(for: RelativePath("big.bin")!) == nil, "the multipart session is forgotten")
            #expect(try await world.serverFiles(token).isEmpty, "nothing recorded")

            // A one-block file: its single PUT is signed with the stale digest and refused the same way.
            let small = world.dir + "/small.bin"
            let scannedSmall = Data("scanned bytes".utf8)
            var smallHasher = ContentHasher(fileSize: Int64(scannedSmall.count))
            scannedSmall.withUnsafeBytes { smallHasher.update($0) }
            let smallFinished = smallHasher.finalize()
            let smallScanned = try #require(smallFinished)
            try Data("rewrittenbyte".utf8).write(to: URL(fileURLWithPath: small))
            let smallSource = try #require(
                UploadSource(
                    path: RelativePath("small.bin")!,
                    file: small,
                    contentHash: smallScanned.identity,
                    blockDigests: smallScanned.blockDigests
                )
            )
            #expect(smallSource.blockDigests?.count == 1)
            let smallRefused = await #expect(throws: LocalFileError.self) { try await remote.upload(smallSource, baseRevision: nil) }
            #expect(smallRefused?.code == .changedSinceScan, "\(String(describing: smallRefused))")
            #expect(try await world.serverFiles(token).isEmpty, "nothing recorded")

            // The same file with its own content's digests goes up.
            var own = ContentHasher(fileSize: Int64(nowBytes.count))
            nowBytes.withUnsafeBytes { own.update($0) }
            let ownFinished = own.finalize()
            let now = try #require(ownFinished)
            let fresh = try #require(
                UploadSource(path: RelativePath("big.bin")!, file: big, contentHash: now.identity, blockDigests: now.blockDigests)
            )
            let stored = try await remote.upload(fresh, baseRevision: nil)
            #expect(stored.contentHash == now.identity)
            #expect(try await world.serverFiles(token)["big.bin"]?.sha256 == now.identity)
        }
    }
}
