import Foundation
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
}
