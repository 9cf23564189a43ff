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
            let first = try await remote.upload(path, from: file, contentHash: identityHex(Data("first".utf8)), size: 5, baseRevision: nil)

            // A stale base: the server says what it has (this very upload, same content).
            try Data("other".utf8).write(to: URL(fileURLWithPath: file))
            let stale = await #expect(throws: RemoteConflict.self) {
                try await remote.upload(path, from: file, contentHash: identityHex(Data("other".utf8)), size: 5, baseRevision: nil)
            }
            #expect(stale?.current == first, "the 409 names the current item")
            #expect(stale?.currentPath == path)

            let moved = await #expect(throws: RemoteConflict.self) { try await remote.move(path, to: RelativePath("b.txt")!, revision: first.revision + 7) }
            #expect(moved?.current == first)

            try await remote.delete(path, revision: first.revision)
            let gone = await #expect(throws: RemoteConflict.self) {
                try await remote.upload(path, from: file, contentHash: identityHex(Data("other".utf8)), size: 5, baseRevision: first.revision)
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
            let first = try await remote.upload(path, from: file, contentHash: identityHex(Data("first".utf8)), size: 5, baseRevision: nil)
            try Data("second".utf8).write(to: URL(fileURLWithPath: file))
            let second = try await remote.upload(path, from: file, contentHash: identityHex(Data("second".utf8)), size: 6, baseRevision: first.revision)

            let stale = await #expect(throws: RemoteConflict.self) { try await remote.download(path, entry: first, to: world.dir + "/out.txt") }
            #expect(stale?.current == second, "the answer names the current item")
            #expect(stale?.currentPath == path)
            #expect(!FileManager.default.fileExists(atPath: world.dir + "/out.txt"), "nothing is written")
        }
    }
}
