import Foundation
import HTTPTypes
import S3Client
import SyncAPI
import Testing

@testable import SyncServer

/// Content stored before identities were block hashes keeps working: the collector reads each
/// legacy object once, stores it under its identity, renames the rows (current files and old
/// versions), tells devices through the change feed, and leaves alone an object that does not
/// have its recorded hash.
@Suite(.serialized) struct LegacyRehashTests {
    static func plainSHA256(_ bytes: [UInt8]) -> String {
        ContentIdentity.hex(Data(base64Encoded: ChecksumAlgorithm.sha256.checksum(of: bytes).base64)!)
    }

    @Test(arguments: StoreBackend.allCases)
    func legacyContentMovesToItsIdentity(backend: StoreBackend) async throws {
        // Isolated: the collector's subject is every user of the database.
        try await APIEnvironment.with(backend, isolated: true) { env, client in
            let (user, token) = try await env.newUser()
            // As an old server left them: objects under the plain SHA-256, rows naming it.
            let v1 = Array("first version".utf8)
            let v2 = Array("second version, longer".utf8)
            let bad = Array("not what the key says".utf8)
            let badKey = Self.plainSHA256(Array("something else".utf8))
            for (bytes, hash) in [(v1, Self.plainSHA256(v1)), (v2, Self.plainSHA256(v2)), (bad, badKey)] {
                _ = try await env.blobs.s3.putObject(bucket: env.blobs.bucket, key: env.blobs.key(userId: user.id, sha256: hash), bytes: bytes)
            }
            let first = try await env.store.commit(
                userId: user.id,
                path: "essay.txt",
                kind: .file,
                size: Int64(v1.count),
                contentHash: Self.plainSHA256(v1),
                baseRevision: nil
            )
            let second = try await env.store.commit(
                userId: user.id,
                path: "essay.txt",
                kind: .file,
                size: Int64(v2.count),
                contentHash: Self.plainSHA256(v2),
                baseRevision: first.revision
            )
            _ = try await env.store.commit(
                userId: user.id,
                path: "broken.txt",
                kind: .file,
                size: Int64(bad.count),
                contentHash: badKey,
                baseRevision: nil
            )
            // What the migration records for existing rows.
            for hash in [Self.plainSHA256(v1), Self.plainSHA256(v2), badKey] {
                try await env.store.database.query(
                    "INSERT INTO legacy_contents (user_id, content_hash) VALUES (?, ?)",
                    [.text(user.id), .text(hash)]
                )
            }
            let cursor = try await env.store.latestSeq(userId: user.id)

            let report = try await Collector(store: env.store, blobs: env.blobs).collect(now: Date().addingTimeInterval(2 * 3600))
            #expect(report.rehashedContents == 2)
            #expect(try await env.store.legacyContents(limit: 10).isEmpty)

            // The current file and its old version are named by their identity and download as before.
            let essay = try #require(try await env.store.file(userId: user.id, path: "essay.txt"))
            #expect(essay.contentHash == identityHex(v2) && essay.revision == second.revision, "same revision: only the name changed")
            let versions = try await env.store.versions(userId: user.id, path: "essay.txt")
            #expect(Set(versions.map(\.contentHash)) == [identityHex(v1), identityHex(v2)])
            for (bytes, hash) in [(v1, identityHex(v1)), (v2, identityHex(v2))] {
                #expect(try await env.blobs.s3.getObject(bucket: env.blobs.bucket, key: env.blobs.key(userId: user.id, sha256: hash)).bytes == bytes)
            }
            let url = try decode(DownloadResponse.self, try await client.api(.get, "/api/v1/download?path=essay.txt", token: token).body).url
            #expect(try await Presigned.send("GET", url).body == v2)
            // Devices following the feed learn the new name at the same revision.
            let feed = try await env.store.changes(userId: user.id, after: cursor)
            #expect(feed.map(\.path) == ["essay.txt"] && feed.first?.contentHash == identityHex(v2) && feed.first?.revision == second.revision)
            // The old objects are unreferenced and swept; the one with the wrong bytes stays as it was.
            let keys = Set(try await env.blobs.s3.listAllObjects(bucket: env.blobs.bucket).collect().map(\.key))
            #expect(!keys.contains(env.blobs.key(userId: user.id, sha256: Self.plainSHA256(v1))))
            #expect(keys.contains(env.blobs.key(userId: user.id, sha256: badKey)))
            #expect(try await env.store.file(userId: user.id, path: "broken.txt")?.contentHash == badKey)
            // Uploading the same bytes again now finds them stored.
            let again = try decode(
                BeginUploadResponse.self,
                try await client.api(
                    .post,
                    "/api/v1/uploads",
                    token: token,
                    body: BeginUploadRequest(path: "copy.txt", size: Int64(v2.count), sha256: identityHex(v2), blockSha256: blockSha256(v2))
                ).body
            )
            #expect(again.mode == .stored)
        }
    }

    /// Old and new hashes share one key space: a legacy file whose bytes are the block digest of
    /// another content sits at the key of that content's identity. Neither an upload of that
    /// content nor the migration may replace it before it has moved; afterwards both work.
    @Test(arguments: StoreBackend.allCases)
    func aLegacyObjectAtAnIdentitysKeyIsNotReplaced(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend, isolated: true) { env, client in
            let (user, token) = try await env.newUser()
            let content = Array("a one-block file".utf8)
            // The raw SHA-256 of `content`: its plain SHA-256 is `content`'s identity.
            let digest = Array(Data(base64Encoded: ChecksumAlgorithm.sha256.checksum(of: content).base64)!)
            let shared = identityHex(content)
            #expect(Self.plainSHA256(digest) == shared)
            let sharedKey = env.blobs.key(userId: user.id, sha256: shared)
            _ = try await env.blobs.s3.putObject(bucket: env.blobs.bucket, key: sharedKey, bytes: digest)
            _ = try await env.store.commit(
                userId: user.id,
                path: "digest.bin",
                kind: .file,
                size: Int64(digest.count),
                contentHash: shared,
                baseRevision: nil
            )
            try await env.store.database.query("INSERT INTO legacy_contents (user_id, content_hash) VALUES (?, ?)", [.text(user.id), .text(shared)])

            let begin = BeginUploadRequest(path: "file.txt", size: Int64(content.count), sha256: shared, blockSha256: blockSha256(content))
            let refused = try await client.api(.post, "/api/v1/uploads", token: token, body: begin)
            #expect(refused.status.code == 423 && (try? decode(APIErrorBody.self, refused.body).code) == "content_migrating")
            #expect(try await env.blobs.s3.getObject(bucket: env.blobs.bucket, key: sharedKey).bytes == digest, "the legacy object is intact")

            // The migration moves the legacy file to its own identity; then the upload goes through.
            let report = try await Collector(store: env.store, blobs: env.blobs).collect(now: Date().addingTimeInterval(2 * 3600))
            #expect(report.rehashedContents == 1)
            #expect(try await env.store.file(userId: user.id, path: "digest.bin")?.contentHash == identityHex(digest))
            let url = try decode(DownloadResponse.self, try await client.api(.get, "/api/v1/download?path=digest.bin", token: token).body).url
            #expect(try await Presigned.send("GET", url).body == digest)
            _ = try await env.put(content, at: "file.txt", token: token, client: client)
            #expect(try await env.blobs.s3.getObject(bucket: env.blobs.bucket, key: sharedKey).bytes == content)
            let moved = try decode(DownloadResponse.self, try await client.api(.get, "/api/v1/download?path=digest.bin", token: token).body).url
            #expect(try await Presigned.send("GET", moved).body == digest, "the old file still downloads as its own bytes")
        }
    }
}
