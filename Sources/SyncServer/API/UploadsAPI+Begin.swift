import Foundation
import Hummingbird
import Prometheus
import S3Client
import SyncAPI
import Synchronization

/// Begin: an upload checked and signed, or recorded at once when the user stores its content
/// already; a batch's items recorded together.
extension UploadsAPI {
    /// What begin decided for one upload before anything of it is recorded: the answer (the
    /// content is stored already), or an upload to record and the answer to give once it is.
    enum BeginPlan: Sendable {
        /// The user stores this content already: the item is recorded without any upload
        /// (unless the path changed since the client looked: then the upload goes ahead).
        case stored(BeginUploadRequest, MetadataStore.CommitItem)
        case upload(UploadRecord, blockDigests: [Int: String], answer: BeginUploadResponse)
    }

    func begin(_ body: BeginUploadRequest, user: User) async throws -> BeginUploadResponse {
        try await record([try await prepare(body, user: user)], user: user)[0].get()
    }

    /// The objects a batch has looked at: one HEAD per content, however many of its items
    /// have it.
    final class ObjectHeads: Sendable {
        private let heads = Mutex<[String: Task<ObjectMetadata?, any Error>]>([:])

        func head(_ key: String, blobs: BlobStore) async throws -> ObjectMetadata? {
            let task = heads.withLock { heads in
                if let task = heads[key] { return task }
                let task = Task { try await blobs.head(key) }
                heads[key] = task
                return task
            }
            return try await task.value
        }
    }

    /// Records what `plans` decided; each item answers on its own. Items of stored content are
    /// committed in one transaction; one refused there because its path changed since the
    /// client looked becomes an upload (its bytes go up, and complete decides). Then the
    /// uploads are recorded in one transaction: a multipart upload refused there (the quota,
    /// filled meanwhile), or not recorded because the whole transaction failed, is aborted in
    /// S3.
    func record(_ plans: [BeginPlan], user: User) async -> [Result<BeginUploadResponse, APIError>] {
        // Each item: still a plan, or answered.
        var slots: [Result<BeginUploadResponse, APIError>?] = plans.map { _ in nil }
        var plans = plans
        let stored = plans.indices.compactMap { index -> (Int, BeginUploadRequest, MetadataStore.CommitItem)? in
            guard case .stored(let body, let item) = plans[index] else { return nil }
            return (index, body, item)
        }
        if !stored.isEmpty {
            do {
                let outcomes = try await store.commitMany(userId: user.id, stored.map(\.2))
                for ((index, body, item), outcome) in zip(stored, outcomes) {
                    switch outcome {
                    case .success(let file):
                        metrics.uploadsCompleted.increment()
                        slots[index] = .success(BeginUploadResponse(mode: .stored, file: FileMetadata(file)))
                    case .failure(.conflict(current: nil)) where item.unchangedSince != nil:
                        do {
                            plans[index] = try await prepareUpload(body, user: user)
                        } catch {
                            slots[index] = .failure(Self.refusal(error))
                        }
                    case .failure(let refusal):
                        slots[index] = .failure(APIError.from(refusal))
                    }
                }
            } catch {
                let failure = Self.refusal(error)
                for (index, _, _) in stored { slots[index] = .failure(failure) }
            }
        }
        let remaining = plans.indices.filter { slots[$0] == nil }
        let uploaded = await recordUploads(remaining.map { plans[$0] }, user: user)
        for (index, outcome) in zip(remaining, uploaded) { slots[index] = outcome }
        return slots.map { $0! }
    }

    /// Records the uploads of `plans` in one transaction; each answers on its own.
    private func recordUploads(_ plans: [BeginPlan], user: User) async -> [Result<BeginUploadResponse, APIError>] {
        let uploads = plans.compactMap { plan -> MetadataStore.NewUpload? in
            guard case .upload(let record, let digests, _) = plan else { return nil }
            return (record, digests)
        }
        let outcomes: [Result<Void, APIError>]
        do {
            outcomes = try await store.createUploads(userId: user.id, uploads).map { $0.mapError(APIError.from) }
        } catch {
            let failure = Self.refusal(error)
            outcomes = uploads.map { _ in .failure(failure) }
        }
        var recorded = outcomes.makeIterator()
        var results: [Result<BeginUploadResponse, APIError>] = []
        for plan in plans {
            switch plan {
            case .stored:
                preconditionFailure("stored content is committed before the uploads are recorded")
            case .upload(let record, _, let answer):
                let outcome = recorded.next()!
                if case .failure = outcome { await abandon(record) }
                results.append(outcome.map { answer })
            }
        }
        return results
    }

    /// Aborts the S3 side of an upload that was not recorded.
    private func abandon(_ record: UploadRecord) async {
        guard let s3UploadId = record.s3UploadId else { return }
        try? await blobs.abortMultipartUpload(key: blobs.key(userId: record.userId, sha256: record.contentHash), uploadId: s3UploadId)
    }

    /// Checks an upload and signs it (or finds its content stored already), recording nothing
    /// but a commit of stored content.
    ///
    /// - Parameter heads: the objects the batch looked at already.
    func prepare(_ body: BeginUploadRequest, user: User, heads: ObjectHeads? = nil) async throws -> BeginPlan {
        try await check(body, user: user)
        let hash = body.sha256.lowercased()
        if try await store.storesContent(userId: user.id, contentHash: hash),
            let object = try await (heads ?? ObjectHeads()).head(blobs.key(userId: user.id, sha256: hash), blobs: blobs),
            object.size == body.size
        {
            // A new item is recorded here only while nothing happened at its path since the
            // client looked: a begin held up on the way must not bring back what the client
            // moved or deleted since. Otherwise its bytes go up, and complete decides.
            return .stored(
                body,
                MetadataStore.CommitItem(
                    path: body.path,
                    kind: .file,
                    size: body.size,
                    contentHash: hash,
                    baseRevision: body.baseRevision,
                    finishingUpload: nil,
                    unchangedSince: body.baseRevision == nil ? body.seenCursor : nil
                )
            )
        }
        return try await prepareUpload(body, user: user)
    }

    /// What every begin checks before anything is signed: the identity, size, type and path,
    /// the base revision, the room, and a content still under a legacy hash.
    func check(_ body: BeginUploadRequest, user: User) async throws {
        let hash = body.sha256.lowercased()
        guard hash.count == 64, Hex.decode(hash) != nil else { throw APIError(.badRequest, code: "invalid_sha256", "sha256 must be 64 hex digits") }
        guard (0...PartLayout.maxObjectSize).contains(body.size) else {
            throw APIError(.badRequest, code: "invalid_size", "size must be 0...\(PartLayout.maxObjectSize) bytes (S3's 5 TiB object limit)")
        }
        if let type = body.contentType, type.utf8.count > 255 || type.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value > 0x7E }) {
            throw APIError(.badRequest, code: "invalid_content_type", "contentType must be at most 255 printable ASCII characters")
        }
        try MetadataStore.validate(body.path)
        // Refuse early what complete would refuse: a stale base revision.
        let current = try await store.file(userId: user.id, path: body.path)
        if current?.revision != body.baseRevision || current?.kind == .folder {
            throw APIError(.conflict, code: "revision_conflict", "the item changed since you last saw it", current: current.map(FileMetadata.init))
        }
        // Early, before S3 is asked for anything; the store checks again as it records the
        // upload (the size is reserved from then on) and as it commits the file.
        try await store.requireRoom(userId: user.id, path: body.path, size: body.size, replacing: current?.size ?? 0)
        // Old and new hashes share one key space: while `hash` names a legacy content, its key
        // holds other bytes than the content with this identity (a file made of block digests),
        // and neither a "stored" answer nor an upload over it may happen until it is rehashed.
        if try await store.isLegacyContent(userId: user.id, contentHash: hash) {
            throw APIError(
                .init(code: 423, reasonPhrase: "Locked"),
                code: "content_migrating",
                "content under this hash is still being moved to block hashes; try again after the server's next collector pass"
            )
        }
        if let seen = body.seenCursor, seen < 0 {
            throw APIError(.badRequest, code: "invalid_cursor", "seenCursor must be a cursor the change feed gave (0 or more)")
        }
    }

    /// An upload to record for a begin `prepare` checked, its S3 side made (a multipart
    /// upload) or signed (a single PUT).
    /// - Parameter alwaysMultipart: a file of one block goes as a multipart upload too (a
    ///   file request's: S3's part list proves that this upload sent the bytes, where a single
    ///   PUT's object could be one the owner stored already).
    func prepareUpload(_ body: BeginUploadRequest, user: User, alwaysMultipart: Bool = false) async throws -> BeginPlan {
        let hash = body.sha256.lowercased()
        let key = blobs.key(userId: user.id, sha256: hash)
        var record = UploadRecord(
            id: UUID().uuidString.lowercased(),
            userId: user.id,
            path: body.path,
            size: body.size,
            contentHash: hash,
            baseRevision: body.baseRevision,
            s3UploadId: nil,
            createdAt: Date()
        )
        // A file of one block is one PUT; larger ones are multipart with one part per block.
        if ContentIdentity.blockCount(forFileSize: body.size) <= 1 && !(alwaysMultipart && body.size > 0) {
            let digest = try singleBlockDigest(body, identity: hash)
            let signed = try await blobs.presignPut(key: key, blockSha256: digest)
            return .upload(
                record,
                blockDigests: [1: digest],
                answer: BeginUploadResponse(mode: .single, uploadId: record.id, url: signed.url, headers: signed.headers)
            )
        }
        let layout = try Self.layout(fileSize: body.size)
        let s3UploadId = try await blobs.createMultipartUpload(key: key, contentType: body.contentType)
        record.s3UploadId = s3UploadId
        return .upload(
            record,
            blockDigests: [:],
            answer: BeginUploadResponse(mode: .multipart, uploadId: record.id, partSize: layout.partSize, partCount: layout.partCount)
        )
    }
}
