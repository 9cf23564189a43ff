import Foundation
import Hummingbird
import HummingbirdTesting
import SyncAPI
import Testing

@testable import SyncServer

/// The per-user quota holds whatever the order of calls: uploads in progress reserve their
/// size at begin, every commit checks again in its transaction, and batches (whose items run
/// concurrently) never slip past it together.
@Suite struct QuotaTests {
    static let quota: Int64 = 1000

    /// `count` different contents of `size` bytes each.
    static func contents(_ count: Int, size: Int, seed: UInt8) -> [[UInt8]] {
        (0..<count).map { index in (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index &* 7) ^ seed } }
    }

    @Test(arguments: StoreBackend.allCases)
    func pendingUploadsReserveTheirSize(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend, userQuota: Self.quota) { env, client in
            let (_, token) = try await env.newUser()
            let (a, b) = (Self.contents(1, size: 600, seed: 1)[0], Self.contents(1, size: 600, seed: 2)[0])
            let first = try await client.api(.post, "/api/v1/uploads", token: token, body: InputLimitsTests.begin("a.bin", a))
            #expect(first.status == .created)
            // Not sent yet, but its 600 bytes are spoken for: a second 600 does not fit.
            let second = try await client.api(.post, "/api/v1/uploads", token: token, body: InputLimitsTests.begin("b.bin", b))
            #expect(second.status.code == 507)
            #expect(try InputLimitsTests.error(second).code == "quota_exceeded")
            // Abandoning the first frees its room.
            let id = try #require(try decode(BeginUploadResponse.self, first.body).uploadId)
            #expect(try await client.api(.delete, "/api/v1/uploads/\(id)", token: token).status == .noContent)
            _ = try await env.put(b, at: "b.bin", token: token, client: client)
            // A replacement counts only what it adds: 600 replaced by 900 fits in 1000.
            let replaced = try await env.put(Self.contents(1, size: 900, seed: 3)[0], at: "b.bin", token: token, client: client, baseRevision: 1)
            #expect(replaced.size == 900)
        }
    }

    /// The live file a replacement frees is freed once: many uploads over one file (each no
    /// larger than it) do not all pass as replacements that do not grow.
    @Test(arguments: StoreBackend.allCases)
    func uploadsOverOneFileShareTheRoomItFrees(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend, userQuota: Self.quota) { env, client in
            let (user, token) = try await env.newUser()
            _ = try await env.put(Self.contents(1, size: 600, seed: 4)[0], at: "big.bin", token: token, client: client)
            let replacements = Self.contents(20, size: 600, seed: 5)
            let begun = try decode(
                BatchResponse<BeginUploadResponse>.self,
                try await client.api(
                    .post,
                    "/api/v1/batch/uploads",
                    token: token,
                    body: BatchBeginRequest(uploads: replacements.map { InputLimitsTests.begin("big.bin", $0, baseRevision: 1) })
                ).body
            )
            let admitted = begun.results.filter { $0.value != nil }.count
            // 600 live + one pending 600 over it (frees the live one when it commits) = 600 held
            // after commit; a second pending 600 would need 1,200 of 1,000.
            #expect(admitted == 1, "one replacement of 600 over 600 fits in 1000, not \(admitted)")
            #expect(try await env.store.heldBytes(userId: user.id) == 600 + 600, "the live file and the one pending replacement")
        }
    }

    /// Many begins at once (the batch runs 16 concurrently), then many completions, then many
    /// copies of stored content (recorded at begin, no upload): the user never ends past the quota.
    @Test(arguments: StoreBackend.allCases)
    func noSequenceOfBatchesEndsOverQuota(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend, userQuota: Self.quota) { env, client in
            let (user, token) = try await env.newUser()
            let files = Self.contents(40, size: 300, seed: 9)
            let begun = try decode(
                BatchResponse<BeginUploadResponse>.self,
                try await client.api(
                    .post,
                    "/api/v1/batch/uploads",
                    token: token,
                    body: BatchBeginRequest(uploads: files.enumerated().map { InputLimitsTests.begin("f\($0.offset).bin", $0.element) })
                ).body
            )
            let admitted = begun.results.enumerated().filter { $0.element.value != nil }
            #expect(admitted.count == 3, "1000 bytes hold three uploads of 300, not \(admitted.count)")
            #expect(begun.results.filter { $0.status == 507 }.count == 40 - admitted.count, "\(begun.results.compactMap(\.error))")
            for (index, result) in admitted {
                let plan = try #require(result.value)
                #expect(try await Presigned.send("PUT", try #require(plan.url), headers: plan.headers, body: files[index]).status == 200)
            }
            let done = try decode(
                BatchResponse<FileMetadata>.self,
                try await client.api(
                    .post,
                    "/api/v1/batch/complete",
                    token: token,
                    body: BatchCompleteRequest(uploads: admitted.map { .init(uploadId: $0.element.value!.uploadId!) })
                ).body
            )
            #expect(done.results.allSatisfy { $0.value != nil }, "what was admitted completes: \(done.results.compactMap(\.error))")
            #expect(try await env.store.heldBytes(userId: user.id) == 900)

            // Content the user already stores is recorded at begin without an upload; with 100
            // bytes left, none of 40 copies of 300 fits.
            let copies = try decode(
                BatchResponse<BeginUploadResponse>.self,
                try await client.api(
                    .post,
                    "/api/v1/batch/uploads",
                    token: token,
                    body: BatchBeginRequest(uploads: (0..<40).map { InputLimitsTests.begin("copy\($0).bin", files[admitted[0].offset]) })
                ).body
            )
            #expect(copies.results.allSatisfy { $0.status == 507 }, "\(copies.results.map { $0.value?.mode.rawValue ?? String($0.status ?? 0) })")
            let used = try await env.store.usedBytes(userId: user.id)
            #expect(used <= Self.quota, "the user holds \(used) bytes of a \(Self.quota)-byte quota")
        }
    }

    /// Recorded copies of stored content race too: with room for exactly two more, forty at
    /// once record two.
    @Test(arguments: StoreBackend.allCases)
    func concurrentCopiesOfStoredContentStopAtTheQuota(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend, userQuota: Self.quota) { env, client in
            let (user, token) = try await env.newUser()
            let content = Self.contents(1, size: 300, seed: 5)[0]
            _ = try await env.put(content, at: "original.bin", token: token, client: client)
            let copies = try decode(
                BatchResponse<BeginUploadResponse>.self,
                try await client.api(
                    .post,
                    "/api/v1/batch/uploads",
                    token: token,
                    body: BatchBeginRequest(uploads: (0..<40).map { InputLimitsTests.begin("copy\($0).bin", content) })
                ).body
            )
            #expect(copies.results.filter { $0.value?.mode == .stored }.count == 2)
            #expect(try await env.store.usedBytes(userId: user.id) == 900)
        }
    }

    /// `complete` checks again: an upload recorded while there was room is refused at commit
    /// when the room is gone by then (here: uploads recorded before a quota was set).
    @Test(arguments: StoreBackend.allCases)
    func completeChecksAgain(backend: StoreBackend) async throws {
        try await backend.withStore { unlimited in
            let user = try await unlimited.upsertUser(email: "q-\(UUID().uuidString)@example.com", name: "Q")
            let hash = String(repeating: "cd", count: 32)
            let uploads = ["u1-\(UUID())", "u2-\(UUID())"]
            for (id, path) in zip(uploads, ["one.bin", "two.bin"]) {
                try await unlimited.createUpload(
                    UploadRecord(
                        id: id,
                        userId: user.id,
                        path: path,
                        size: 600,
                        contentHash: hash,
                        baseRevision: nil,
                        s3UploadId: nil,
                        createdAt: Date()
                    )
                )
            }
            let pending = try await unlimited.heldBytes(userId: user.id)
            #expect(pending == 1200)
            var limited = unlimited
            limited.userQuota = Self.quota
            await #expect(throws: StoreError.self) {
                _ = try await limited.commit(
                    userId: user.id,
                    path: "one.bin",
                    kind: .file,
                    size: 600,
                    contentHash: hash,
                    baseRevision: nil,
                    finishingUpload: uploads[0]
                )
            }
            #expect(try await limited.files(userId: user.id).isEmpty)
        }
    }

    /// Restoring from the trash brings bytes back: refused when they no longer fit.
    @Test func trashRestoreChecksTheQuota() async throws {
        try await APIEnvironment.with(.sqlite, userQuota: Self.quota) { env, client in
            let (_, token) = try await env.newUser()
            let contents = Self.contents(2, size: 600, seed: 7)
            let (old, new) = (contents[0], contents[1])
            let file = try await env.put(old, at: "old.bin", token: token, client: client)
            #expect(
                try await client.api(.post, "/api/v1/trash", token: token, body: TrashRequest(path: file.path, revision: file.revision)).status
                    == .noContent
            )
            _ = try await env.put(new, at: "new.bin", token: token, client: client)
            let trashed = try decode([TrashedItem].self, try await client.api(.get, "/api/v1/trash", token: token).body)
            let restore = try await client.api(
                .post,
                "/api/v1/trash/restore",
                token: token,
                body: RestoreTrashRequest(id: try #require(trashed.first).id)
            )
            #expect(restore.status.code == 507)
            #expect(try InputLimitsTests.error(restore).code == "quota_exceeded")
        }
    }

    /// Old versions do not count against the quota; `limits.version_days` bounds them: the
    /// collector forgets all but each file's newest once they are older, and their objects go.
    @Test(arguments: StoreBackend.allCases)
    func oldVersionsExpireAfterTheirRetention(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend, isolated: true, userQuota: Self.quota) { env, client in
            let (user, token) = try await env.newUser()
            let versions = Self.contents(3, size: 600, seed: 11)
            var file = try await env.put(versions[0], at: "doc.bin", token: token, client: client)
            for next in versions.dropFirst() {
                // 600 replaced by 600: fits although the old versions stay.
                file = try await env.put(next, at: "doc.bin", token: token, client: client, baseRevision: file.revision)
            }
            #expect(try await env.store.versions(userId: user.id, path: "doc.bin").count == 3)
            #expect(try await env.store.heldBytes(userId: user.id) == 600, "old versions do not count")
            var collector = Collector(store: env.store, blobs: env.blobs)
            collector.versionRetention = 30 * 86_400
            #expect(try await collector.collect(now: Date().addingTimeInterval(2 * 86_400)).purgedVersions == 0, "young versions stay")
            let later = try await collector.collect(now: Date().addingTimeInterval(31 * 86_400))
            #expect(later.purgedVersions == 2 && later.deletedObjects == 2)
            let kept = try await env.store.versions(userId: user.id, path: "doc.bin")
            #expect(kept.map(\.revision) == [file.revision], "the current version stays")
            let download = try decode(DownloadResponse.self, try await client.api(.get, "/api/v1/download?path=doc.bin", token: token).body)
            #expect(try await Presigned.send("GET", download.url).body == versions[2])
        }
    }
}
