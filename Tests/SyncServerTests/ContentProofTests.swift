import Foundation
import Hummingbird
import HummingbirdTesting
import S3Client
import SyncAPI
import Testing

@testable import SyncServer

/// Bytes at a content key always have that key's identity: a client that declares the identity
/// of a file the user already has and sends other bytes is refused, and the old file, its
/// versions and the object behind them stay as they were (on the real SeaweedFS, which verifies
/// every part's and PUT's SHA-256).
@Suite(.serialized, .timeLimit(.minutes(4))) struct ContentProofTests {
    /// Three blocks (8 + 8 + 1 MiB) of distinct pseudo-random bytes.
    static func threeBlocks(seed: UInt8) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let block = (0..<65_536).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return (0..<272).flatMap { i in
            let cut = (i * 331 + Int(seed)) % block.count
            return Array(block[cut...] + block[..<cut])
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func multipartDeclaringAnExistingHashIsRefusedAndTheOldFileStays(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend) { env, client in
            let (user, token) = try await env.newUser()
            let original = Array("the original, version 1".utf8)
            let v1 = try await env.put(original, at: "notes.txt", token: token, client: client)
            _ = try await env.put(Array("version 2".utf8), at: "notes.txt", token: token, client: client, baseRevision: v1.revision)
            let big = Self.threeBlocks(seed: 1)
            let stored = try await env.putMultipart(big, at: "big.bin", token: token, client: client)
            #expect(stored.status == .ok)

            // The attack on an old version: its identity, other bytes, a multipart-sized file.
            // (The same identity at the same size would be recorded as stored content: the user's own.)
            for (index, target) in [v1.sha256!, identityHex(big)].enumerated() {
                let forged = Array(Self.threeBlocks(seed: 7).dropLast(index))
                let attempt = try await env.putMultipart(forged, at: "evil-\(index).bin", token: token, client: client, declaring: target)
                #expect(attempt.status == .badRequest && attempt.code == "content_mismatch", "\(attempt)")
            }
            // No upload is left behind, the keys hold what they name.
            #expect(try await env.blobs.s3.listMultipartUploads(bucket: env.blobs.bucket).isEmpty)
            let key = env.blobs.key(userId: user.id, sha256: v1.sha256!)
            #expect(try await env.blobs.s3.getObject(bucket: env.blobs.bucket, key: key).bytes == original)
            let bigKey = env.blobs.key(userId: user.id, sha256: identityHex(big))
            #expect(try await env.blobs.s3.getObject(bucket: env.blobs.bucket, key: bigKey).bytes == big)
            // The old version, restored, downloads as its own bytes.
            let current = try #require(try await env.store.file(userId: user.id, path: "notes.txt"))
            let restored = try await client.api(
                .post,
                "/api/v1/versions/restore",
                token: token,
                body: RestoreVersionRequest(path: "notes.txt", revision: v1.revision, baseRevision: current.revision)
            )
            #expect(restored.status == .ok)
            let url = try decode(DownloadResponse.self, try await client.api(.get, "/api/v1/download?path=notes.txt", token: token).body).url
            #expect(try await Presigned.send("GET", url).body == original)
            #expect(try await env.store.files(userId: user.id).map(\.path).sorted() == ["big.bin", "notes.txt"])
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func singlePutDeclaringAnExistingHashIsRefused(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend) { env, client in
            let (user, token) = try await env.newUser()
            let original = Array("keep me".utf8)
            let file = try await env.put(original, at: "keep.txt", token: token, client: client)
            let other = Array("other!!".utf8)
            // The digest of other bytes with the old identity: refused before anything is signed.
            let begin = try await client.api(
                .post,
                "/api/v1/uploads",
                token: token,
                body: BeginUploadRequest(path: "evil.txt", size: 7_000, sha256: file.sha256!, blockSha256: blockSha256(other))
            )
            let refusal = try decode(ConflictBody.self, begin.body)
            #expect(begin.status == .badRequest && refusal.code == "content_mismatch")
            // No digest at all: nothing to sign a PUT with.
            let bare = try await client.api(
                .post,
                "/api/v1/uploads",
                token: token,
                body: BeginUploadRequest(path: "evil.txt", size: 7_000, sha256: file.sha256!)
            )
            #expect(bare.status == .badRequest)
            // The honest digest with other bytes: S3 refuses them.
            let honest = try decode(
                BeginUploadResponse.self,
                try await client.api(
                    .post,
                    "/api/v1/uploads",
                    token: token,
                    body: BeginUploadRequest(path: "evil.txt", size: 7_000, sha256: file.sha256!, blockSha256: blockSha256(original))
                ).body
            )
            #expect(honest.mode == .single)
            #expect(try await Presigned.send("PUT", honest.url!, headers: honest.headers, body: other).status == 400)
            var headers = honest.headers
            headers["x-amz-checksum-sha256"] = blockSha256(other)
            #expect(try await Presigned.send("PUT", honest.url!, headers: headers, body: other).status == 403)
            let key = env.blobs.key(userId: user.id, sha256: file.sha256!)
            #expect(try await env.blobs.s3.getObject(bucket: env.blobs.bucket, key: key).bytes == original)
            // The empty file: no block, identity SHA-256 of nothing.
            let empty = try await env.put([], at: "empty", token: token, client: client)
            #expect(empty.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        }
    }

    /// A part number is signed with one digest only; a resumed upload (parts listed, URLs asked
    /// again for the same digests) completes.
    @Test func aPartIsSignedWithOneDigestAndAResumedUploadCompletes() async throws {
        try await APIEnvironment.with(.sqlite) { env, client in
            let (_, token) = try await env.newUser()
            let content = Self.threeBlocks(seed: 3)
            let blocks = (1...3).map {
                Array(
                    content[
                        Int(
                            ContentIdentity.range(ofBlock: $0, fileSize: Int64(content.count)).lowerBound
                        )..<Int(ContentIdentity.range(ofBlock: $0, fileSize: Int64(content.count)).upperBound)
                    ]
                )
            }
            let plan = try decode(
                BeginUploadResponse.self,
                try await client.api(
                    .post,
                    "/api/v1/uploads",
                    token: token,
                    body: BeginUploadRequest(path: "resume.bin", size: Int64(content.count), sha256: identityHex(content))
                ).body
            )
            let id = try #require(plan.uploadId)
            #expect(plan.mode == .multipart && plan.partCount == 3 && plan.partSize == 8 << 20)
            let first = try decode(
                PartURLsResponse.self,
                try await client.api(
                    .post,
                    "/api/v1/uploads/\(id)/parts",
                    token: token,
                    body: PartURLsRequest(partNumbers: [1, 2], sha256: ["1": blockSha256(blocks[0]), "2": blockSha256(blocks[1])])
                ).body
            )
            #expect(try await Presigned.send("PUT", first.urls["1"]!, headers: first.headers["1"]!, body: blocks[0]).status == 200)
            // Part 1 again with another digest: refused, whatever the bytes.
            let other = try await client.api(
                .post,
                "/api/v1/uploads/\(id)/parts",
                token: token,
                body: PartURLsRequest(partNumbers: [1], sha256: ["1": blockSha256(blocks[2])])
            )
            #expect(other.status == .conflict)
            // Without a digest: refused.
            #expect(
                try await client.api(.post, "/api/v1/uploads/\(id)/parts", token: token, body: PartURLsRequest(partNumbers: [3])).status
                    == .badRequest
            )
            // Too early: parts are missing, the upload stays.
            let early = try await client.api(.post, "/api/v1/uploads/\(id)/complete", token: token, body: CompleteUploadRequest())
            let earlyBody = try decode(ConflictBody.self, early.body)
            #expect(early.status == .badRequest && earlyBody.code == "incomplete_upload")
            // "After a crash": the listing says what S3 holds, with the SHA-256 it was verified against.
            let held = try decode(UploadPartsResponse.self, try await client.api(.get, "/api/v1/uploads/\(id)/parts", token: token).body)
            #expect(held.parts.map(\.partNumber) == [1] && held.parts.first?.checksumSHA256 == blockSha256(blocks[0]))
            let rest = try decode(
                PartURLsResponse.self,
                try await client.api(
                    .post,
                    "/api/v1/uploads/\(id)/parts",
                    token: token,
                    body: PartURLsRequest(partNumbers: [2, 3], sha256: ["2": blockSha256(blocks[1]), "3": blockSha256(blocks[2])])
                ).body
            )
            for number in [2, 3] {
                #expect(
                    try await Presigned.send("PUT", rest.urls[String(number)]!, headers: rest.headers[String(number)]!, body: blocks[number - 1])
                        .status == 200
                )
            }
            let done = try await client.api(.post, "/api/v1/uploads/\(id)/complete", token: token, body: CompleteUploadRequest())
            #expect(done.status == .ok)
            #expect(try decode(FileMetadata.self, done.body).sha256 == identityHex(content))
        }
    }

    @Test func theIdentityIsTheBlockHash() {
        #expect(ContentIdentity.identity(of: [UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // One block: SHA-256 of the block's SHA-256. "abc": ba7816bf...; its SHA-256 again:
        #expect(ContentIdentity.identity(of: Array("abc".utf8)) == "4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358")
        #expect(ContentIdentity.blockSize(forFileSize: 10_000 * (8 << 20)) == 8 << 20)
        #expect(ContentIdentity.blockSize(forFileSize: 10_000 * (8 << 20) + 1) == 16 << 20)
        #expect(ContentIdentity.blockCount(forFileSize: 0) == 0 && ContentIdentity.blockCount(forFileSize: 8 << 20) == 1)
        #expect(ContentIdentity.blockCount(forFileSize: (8 << 20) + 1) == 2)
        // Fed in odd chunks, the same identity.
        let bytes = (0..<((8 << 20) + 12345)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var hasher = ContentHasher(fileSize: Int64(bytes.count))
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + 777_777)
            hasher.update(Array(bytes[start..<end]))
            start = end
        }
        let result = hasher.finalize()
        #expect(result?.blockDigests.count == 2 && result?.identity == ContentIdentity.identity(of: bytes))
        // The same value Python's hashlib and the dashboard's hash.js give for these bytes.
        #expect(result?.identity == "417481d9e3d58fb12405df1e1a0bd479eeb252ec1ef3961ac6fb93eab8ee96b2")
        #expect(
            result?.identity == ContentIdentity.identity(base64BlockDigests: [blockSha256(bytes[..<(8 << 20)]), blockSha256(bytes[(8 << 20)...])])
        )
    }
}

extension APIEnvironment {
    struct MultipartOutcome: CustomStringConvertible {
        var status: HTTPResponse.Status
        var code: String?
        /// The parts the server planned (one per block).
        var partCount: Int
        var description: String { "\(status) \(code ?? "")" }
    }

    /// Uploads `content` as a multipart upload with one part per block, each part URL signed
    /// with its block's SHA-256, as the daemon does; `declaring` another identity is the attack.
    func putMultipart(
        _ content: [UInt8],
        at path: String,
        token: String,
        client: any TestClientProtocol,
        declaring: String? = nil
    ) async throws -> MultipartOutcome {
        let size = Int64(content.count)
        let plan = try decode(
            BeginUploadResponse.self,
            try await client.api(
                .post,
                "/api/v1/uploads",
                token: token,
                body: BeginUploadRequest(path: path, size: size, sha256: declaring ?? identityHex(content))
            ).body
        )
        guard plan.mode == .multipart, let id = plan.uploadId, let count = plan.partCount else { throw StoreTestError("not multipart: \(plan)") }
        let blocks = (1...count).map { number in
            let range = ContentIdentity.range(ofBlock: number, fileSize: size)
            return Array(content[Int(range.lowerBound)..<Int(range.upperBound)])
        }
        let digests = Dictionary(uniqueKeysWithValues: blocks.enumerated().map { (String($0.offset + 1), blockSha256($0.element)) })
        // CRC32C too, which is all the server asked for before parts carried SHA-256: against
        // that server this helper carries the attack through (and the old object is replaced).
        let crcs = Dictionary(
            uniqueKeysWithValues: blocks.enumerated().map { (String($0.offset + 1), ChecksumAlgorithm.crc32c.checksum(of: $0.element).base64) }
        )
        let signed = try decode(
            PartURLsResponse.self,
            try await client.api(
                .post,
                "/api/v1/uploads/\(id)/parts",
                token: token,
                body: PartURLsRequest(partNumbers: Array(1...count), checksums: crcs, sha256: digests)
            ).body
        )
        var parts: [CompleteUploadRequest.Part] = []
        for number in 1...count {
            let sent = try await Presigned.send(
                "PUT",
                signed.urls[String(number)]!,
                headers: signed.headers[String(number)]!,
                body: blocks[number - 1]
            )
            guard sent.status == 200 else { throw StoreTestError("part \(number): \(sent.status)") }
            parts.append(
                .init(
                    partNumber: number,
                    etag: sent.headers["etag"]!.replacingOccurrences(of: "\"", with: ""),
                    checksumCRC32C: crcs[String(number)],
                    checksumSHA256: digests[String(number)]
                )
            )
        }
        let done = try await client.api(.post, "/api/v1/uploads/\(id)/complete", token: token, body: CompleteUploadRequest(parts: parts))
        let code = done.status == .ok ? nil : try? decode(ConflictBody.self, done.body).code
        return MultipartOutcome(status: done.status, code: code, partCount: count)
    }
}
