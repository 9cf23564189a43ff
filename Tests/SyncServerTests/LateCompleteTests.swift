import Foundation
import Hummingbird
import HummingbirdTesting
import SyncAPI
import Testing

@testable import SyncServer

/// A complete that arrives late — held up on the way, or finished by the server after its
/// client gave up — must not create a second item where the client has since uploaded the file
/// again and moved it away (the 30-minute soak found the conflicted copy this made).
@Suite struct LateCompleteTests {
    static let hash = String(repeating: "ab", count: 32)

    static func upload(_ id: String, _ userId: String, _ path: String) -> UploadRecord {
        UploadRecord(id: id, userId: userId, path: path, size: 3, contentHash: hash, baseRevision: nil, s3UploadId: nil, createdAt: Date())
    }

    @Test(arguments: StoreBackend.allCases)
    func aNewItemIsMadeOnlyIfNothingHappenedAtItsPathSinceTheUploadBegan(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let user = try await store.upsertUser(email: "late-\(UUID().uuidString)@example.com", name: "L")
            let late = "late-\(UUID())"
            try await store.createUpload(Self.upload(late, user.id, "a.txt"))
            let elsewhere = "elsewhere-\(UUID())"
            try await store.createUpload(Self.upload(elsewhere, user.id, "c.txt"))

            // Meanwhile: the file is uploaded again, then moved away; another path changes too.
            let again = try await store.commit(userId: user.id, path: "a.txt", kind: .file, size: 3, contentHash: Self.hash, baseRevision: nil)
            _ = try await store.move(userId: user.id, from: "a.txt", to: "b.txt", revision: again.revision)
            _ = try await store.commit(userId: user.id, path: "d.txt", kind: .file, size: 3, contentHash: Self.hash, baseRevision: nil)

            await #expect(throws: StoreError.conflict(current: nil)) {
                _ = try await store.commit(
                    userId: user.id,
                    path: "a.txt",
                    kind: .file,
                    size: 3,
                    contentHash: Self.hash,
                    baseRevision: nil,
                    finishingUpload: late
                )
            }
            #expect(try await store.file(userId: user.id, path: "a.txt") == nil, "no second item at the old name")
            let other = try await store.commit(
                userId: user.id,
                path: "c.txt",
                kind: .file,
                size: 3,
                contentHash: Self.hash,
                baseRevision: nil,
                finishingUpload: elsewhere
            )
            #expect(other.revision == 1, "changes at other paths refuse nothing")
            let fresh = "fresh-\(UUID())"
            try await store.createUpload(Self.upload(fresh, user.id, "a.txt"))
            let made = try await store.commit(
                userId: user.id,
                path: "a.txt",
                kind: .file,
                size: 3,
                contentHash: Self.hash,
                baseRevision: nil,
                finishingUpload: fresh
            )
            #expect(made.revision == 1, "an upload begun after all that makes its item")
        }
    }

    /// The same for content the user already stores, recorded at begin: a begin for a new item
    /// held up on the way, arriving after the client made the item and moved it away, must not
    /// bring it back at the old name. It gets an upload instead, which nobody completes.
    @Test(arguments: StoreBackend.allCases)
    func aLateBeginOfStoredContentDoesNotBringBackAnItemTheClientMovedAway(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend) { env, client in
            let (_, token) = try await env.newUser()
            let content = Array("already stored".utf8)
            let original = try await env.put(content, at: "original.txt", token: token, client: client)
            let seen = try decode(FileListing.self, try await client.api(.get, "/api/v1/files", token: token).body).cursor
            func begin(_ path: String, seen: Int64?) async throws -> (status: HTTPResponse.Status, body: Data) {
                try await client.api(
                    .post,
                    "/api/v1/uploads",
                    token: token,
                    body: BeginUploadRequest(
                        path: path,
                        size: Int64(content.count),
                        sha256: original.sha256!,
                        blockSha256: blockSha256(content),
                        seenCursor: seen
                    )
                )
            }

            // The client's first begin is held up; its retry records the copy, which is moved away.
            let copy = try decode(BeginUploadResponse.self, try await begin("copy.txt", seen: seen).body)
            #expect(copy.mode == .stored)
            let moved = try await client.api(
                .post,
                "/api/v1/move",
                token: token,
                body: MoveRequest(from: "copy.txt", to: "renamed.txt", revision: try #require(copy.file).revision)
            )
            #expect(moved.status == .ok)
            // Now the first begin arrives.
            let late = try decode(BeginUploadResponse.self, try await begin("copy.txt", seen: seen).body)
            #expect(late.mode == .single && late.file == nil, "not recorded: \(late.mode)")
            let paths = try decode(FileListing.self, try await client.api(.get, "/api/v1/files", token: token).body).files.map(\.path)
            #expect(paths == ["original.txt", "renamed.txt"], "no item back at the old name")

            // A client that has seen all that, or a path where nothing happened, is recorded at once.
            let now = try decode(FileListing.self, try await client.api(.get, "/api/v1/files", token: token).body).cursor
            #expect(try decode(BeginUploadResponse.self, try await begin("copy.txt", seen: now).body).mode == .stored)
            #expect(try decode(BeginUploadResponse.self, try await begin("other.txt", seen: seen).body).mode == .stored)
            for bad in [Int64(-1), Int64.min] {
                let refused = try await begin("third.txt", seen: bad)
                let code = try decode(ConflictBody.self, refused.body).code
                #expect(refused.status == .badRequest && code == "invalid_cursor")
            }
        }
    }
}
