import Foundation
import HTTPTypes
import HummingbirdTesting
import S3Client
import SyncAPI
import Testing

@testable import SyncServer

/// The collector against SeaweedFS, on both databases: abandoned multipart uploads are
/// aborted, the trash is emptied after its retention, unreferenced objects go, and nothing a
/// file, version or pending upload references is touched.
@Suite(.serialized, .timeLimit(.minutes(2))) struct CollectorTests {
    @Test(arguments: StoreBackend.allCases)
    func collectsOnlyWhatNothingReferences(backend: StoreBackend) async throws {
        // Its own database: the collector works on the whole store, and must not expire other
        // tests' uploads, nor count them.
        try await APIEnvironment.with(backend, isolated: true) { env, client in
            let (user, token) = try await env.newUser()
            let kept = try await env.put(Array("kept".utf8), at: "kept.txt", token: token, client: client)
            let old = try await env.put(Array("old version".utf8), at: "doc.txt", token: token, client: client)
            // doc.txt gets a second version: the first stays referenced by the history.
            let newText = Array("new version".utf8)
            let plan = try decode(
                BeginUploadResponse.self,
                try await client.api(
                    .post,
                    "/api/v1/uploads",
                    token: token,
                    body: BeginUploadRequest(
                        path: "doc.txt",
                        size: Int64(newText.count),
                        sha256: identityHex(newText),
                        baseRevision: 1,
                        blockSha256: blockSha256(newText)
                    )
                ).body
            )
            #expect(try await Presigned.send("PUT", plan.url!, headers: plan.headers, body: newText).status == 200)
            #expect(
                try await client.api(.post, "/api/v1/uploads/\(plan.uploadId!)/complete", token: token, body: CompleteUploadRequest()).status == .ok
            )
            let trashed = try await env.put(Array("trashed".utf8), at: "trashed.txt", token: token, client: client)
            #expect(
                try await client.api(.post, "/api/v1/trash", token: token, body: TrashRequest(path: "trashed.txt", revision: trashed.revision)).status
                    == .noContent
            )
            // An orphan (uploaded, never completed) and an abandoned multipart upload.
            let orphan = Array("orphan".utf8)
            _ = try await env.blobs.s3.putObject(
                bucket: env.blobs.bucket,
                key: env.blobs.key(userId: user.id, sha256: identityHex(orphan)),
                bytes: orphan
            )
            let big = try decode(
                BeginUploadResponse.self,
                try await client.api(
                    .post,
                    "/api/v1/uploads",
                    token: token,
                    body: BeginUploadRequest(path: "big.bin", size: 20 << 20, sha256: identityHex([9]))
                ).body
            )
            #expect(big.mode == .multipart)

            let collector = Collector(store: env.store, blobs: env.blobs)
            // A browser session, which lives 14 days.
            let keys = SessionKeys.random()
            let session = try await env.store.createSession(userId: user.id, key: keys.key)
            // Now: everything is young, nothing goes.
            #expect(try await collector.collect() == Collector.Report())

            // In two hours: the orphan goes; the trash and the pending upload are still young.
            let soon = try await collector.collect(now: Date().addingTimeInterval(2 * 3600))
            #expect(soon.deletedObjects == 1 && soon.abortedUploads == 0 && soon.purgedTrashItems == 0)
            // In 31 days: the abandoned upload is aborted, the trash emptied, its object deleted.
            let later = try await collector.collect(now: Date().addingTimeInterval(31 * 86_400))
            #expect(later.abortedUploads == 1 && later.purgedTrashItems == 1 && later.deletedObjects == 1 && later.expiredSessions == 1)
            #expect(try await env.store.sessionUser(id: session, key: keys.key) == nil)
            #expect(try await env.blobs.s3.listMultipartUploads(bucket: env.blobs.bucket).isEmpty)
            let remaining = Set(try await env.blobs.s3.listAllObjects(bucket: env.blobs.bucket).collect().map(\.key))
            let expected = Set([kept.sha256!, old.sha256!, identityHex(newText)].map { env.blobs.key(userId: user.id, sha256: $0) })
            #expect(remaining == expected, "live files and every version keep their objects")
            #expect(try await client.api(.get, "/api/v1/trash", token: token).body == Data("[]".utf8))
        }
    }
}
