import Foundation
import HTTPTypes
import S3Client
import SyncAPI

/// How the server proves, without reading an object back, that the bytes at a content key
/// have that key's identity (``ContentIdentity``):
///
/// - Every byte reaches S3 through a URL the server signed with `x-amz-checksum-sha256`: S3
///   refuses other bytes (`BadDigest`), a changed or missing header breaks the signature.
/// - A single PUT (a file of at most one block) is signed only with a block digest whose
///   identity is the declared key.
/// - A multipart part is signed only with the digest recorded for its part number; the first
///   one asked for is the only one ever signed (``MetadataStore/recordBlockDigest``). So the
///   recorded digests are the SHA-256 of whatever S3 holds as those parts. At `complete`, the
///   parts S3 lists must be exactly the file's blocks (count, sizes; and where S3 reports a part's
///   SHA-256, as AWS does, it must be the recorded one), and the identity of the recorded digests
///   must be the declared key; only then is the upload completed. A mismatch aborts the S3 upload:
///   the object at the key is never touched.
///
/// Why recorded digests and not ListParts' `ChecksumSHA256` alone: SeaweedFS verifies every
/// part's SHA-256 on arrival but lists parts without it.
extension UploadsAPI {
    /// For a single PUT: the block digest (base64) to sign, checked against the declared
    /// identity.
    func singleBlockDigest(_ body: BeginUploadRequest, identity: String) throws -> String {
        guard let digest = body.blockSha256, let bytes = Data(base64Encoded: digest), bytes.count == 32 else {
            throw APIError(.badRequest, code: "missing_block_sha256", "a file of one block needs blockSha256: the base64 SHA-256 of its bytes")
        }
        let expected = body.size == 0 ? ContentIdentity.identity(blockDigests: []) : ContentIdentity.identity(blockDigests: [Array(bytes)])
        // The empty file has no block; its one PUT carries the SHA-256 of nothing, which is its identity.
        let emptyOK = body.size != 0 || ContentIdentity.hex(bytes) == identity
        guard expected == identity, emptyOK else {
            throw APIError(.badRequest, code: "content_mismatch", "blockSha256 does not give the declared sha256 (the content identity)")
        }
        return digest
    }

    /// The digests to sign into parts `numbers` (taken from `sha256`, base64 by part number):
    /// the ones recorded for them, recorded now where none is; all in one transaction.
    func partDigests(_ upload: UploadRecord, numbers: [Int], sha256: [String: String]?) async throws -> [Int: String] {
        var asked: [Int: String] = [:]
        for number in numbers {
            guard let digest = sha256?[String(number)], let bytes = Data(base64Encoded: digest), bytes.count == 32 else {
                throw APIError(.badRequest, code: "missing_checksum", "every part needs the base64 SHA-256 of its block in sha256")
            }
            asked[number] = digest
        }
        let recorded = try await store.recordBlockDigests(uploadId: upload.id, asked)
        for (number, digest) in asked where recorded[number] != digest {
            throw APIError(
                .conflict,
                code: "checksum_conflict",
                "part \(number) was already signed with another SHA-256; abort this upload and begin again"
            )
        }
        return recorded
    }

    /// Checks the parts S3 holds against the file's blocks and the declared identity; returns
    /// the parts to complete with. Aborts the S3 upload and throws `content_mismatch` when the
    /// parts cannot be the declared content; throws `incomplete_upload` when parts are missing.
    func proveParts(_ upload: UploadRecord, key: String, s3UploadId: String) async throws -> [CompletedPart] {
        let count = ContentIdentity.blockCount(forFileSize: upload.size)
        let recorded = try await store.blockDigests(uploadId: upload.id)
        let held: [CompletedPart]
        do {
            held = try await blobs.listParts(key: key, uploadId: s3UploadId)
        } catch let error as BlobStoreError where error.code == .missing {
            throw APIError(.badRequest, code: "incomplete_upload", "S3 no longer has this upload: begin again")
        }
        let numbers = held.map(\.partNumber)
        guard numbers == Array(1...max(1, count)), held.allSatisfy({ recorded[$0.partNumber] != nil }) else {
            if numbers.contains(where: { $0 > count }) {
                throw try await refuse(upload, key: key, s3UploadId: s3UploadId, "S3 holds parts beyond the file's \(count) blocks")
            }
            throw APIError(
                .badRequest,
                code: "incomplete_upload",
                "S3 holds parts \(numbers.map(String.init).joined(separator: ",")) of 1...\(count): send the others"
            )
        }
        var digests: [String] = []
        var parts: [CompletedPart] = []
        for part in held {
            let digest = recorded[part.partNumber]!
            let range = ContentIdentity.range(ofBlock: part.partNumber, fileSize: upload.size)
            guard part.size == Int64(range.count) else {
                throw try await refuse(
                    upload,
                    key: key,
                    s3UploadId: s3UploadId,
                    "part \(part.partNumber) is \(part.size) bytes, its block \(range.count)"
                )
            }
            if let reported = part.checksum, reported.algorithm == .sha256, reported.base64 != digest {
                throw try await refuse(upload, key: key, s3UploadId: s3UploadId, "S3 reports another SHA-256 for part \(part.partNumber)")
            }
            digests.append(digest)
            parts.append(
                CompletedPart(partNumber: part.partNumber, etag: part.etag, size: part.size, checksum: Checksum(algorithm: .sha256, base64: digest))
            )
        }
        guard ContentIdentity.identity(base64BlockDigests: digests) == upload.contentHash else {
            throw try await refuse(
                upload,
                key: key,
                s3UploadId: s3UploadId,
                "the parts' SHA-256 digests do not give the declared sha256 (the content identity)"
            )
        }
        return parts
    }

    /// For a single PUT: the stored object's SHA-256, where S3 reports it (HEAD in checksum
    /// mode), must be the one signed into the PUT.
    func proveSingle(_ upload: UploadRecord, object: ObjectMetadata) async throws {
        guard let signed = try await store.blockDigests(uploadId: upload.id)[1] else {
            throw APIError(.badRequest, code: "content_mismatch", "no SHA-256 was signed for this upload: begin again")
        }
        if let reported = object.checksums.first(where: { $0.algorithm == .sha256 }), reported.base64 != signed {
            try? await store.deleteUpload(id: upload.id)
            throw APIError(.badRequest, code: "content_mismatch", "the stored object's SHA-256 is not the one signed for it")
        }
    }

    /// Aborts the S3 upload, forgets it, and returns the refusal to throw.
    private func refuse(_ upload: UploadRecord, key: String, s3UploadId: String, _ why: String) async throws -> APIError {
        try? await blobs.abortMultipartUpload(key: key, uploadId: s3UploadId)
        try await store.deleteUpload(id: upload.id)
        return APIError(.badRequest, code: "content_mismatch", "\(upload.path): \(why); the upload is aborted and nothing was stored")
    }
}
