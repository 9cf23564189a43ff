import Foundation
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
            let again = try await store.commit(userId: user.id, path: "a.txt", kind: "file", size: 3, contentHash: Self.hash, baseRevision: nil)
            _ = try await store.move(userId: user.id, from: "a.txt", to: "b.txt", revision: again.revision)
            _ = try await store.commit(userId: user.id, path: "d.txt", kind: "file", size: 3, contentHash: Self.hash, baseRevision: nil)

            await #expect(throws: StoreError.conflict(current: nil)) {
                _ = try await store.commit(userId: user.id, path: "a.txt", kind: "file", size: 3, contentHash: Self.hash, baseRevision: nil, finishingUpload: late)
            }
            #expect(try await store.file(userId: user.id, path: "a.txt") == nil, "no second item at the old name")
            let other = try await store.commit(
                userId: user.id, path: "c.txt", kind: "file", size: 3, contentHash: Self.hash, baseRevision: nil, finishingUpload: elsewhere)
            #expect(other.revision == 1, "changes at other paths refuse nothing")
            let fresh = "fresh-\(UUID())"
            try await store.createUpload(Self.upload(fresh, user.id, "a.txt"))
            let made = try await store.commit(
                userId: user.id, path: "a.txt", kind: "file", size: 3, contentHash: Self.hash, baseRevision: nil, finishingUpload: fresh)
            #expect(made.revision == 1, "an upload begun after all that makes its item")
        }
    }
}
