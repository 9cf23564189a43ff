import Concurrently
import Foundation
import Hummingbird
import Logging
import Prometheus
import S3Client
import SyncAPI
import Synchronization

/// `/api/v1/uploads`: begin (presigned single PUT or multipart), part URLs, complete, abort.
/// Bytes go from the client to S3; the server only signs and then checks what S3 holds.
struct UploadsAPI {
    let store: MetadataStore
    let blobs: BlobStore
    let metrics: ServerMetrics

    func register(on api: RouterGroup<AppRequestContext>) {
        api.post("uploads") { request, context in
            let user = try context.requireCaller().user
            let body = try await request.decode(as: BeginUploadRequest.self, context: context)
            return try json(try await begin(body, user: user), status: .created)
        }
        // Batches: many begins or completions in one request, each answered on its own.
        api.post("batch/uploads") { request, context in
            let user = try context.requireCaller().user
            let body = try await request.decode(as: BatchBeginRequest.self, context: context)
            guard body.uploads.count <= Self.maxBatch else {
                throw APIError(.badRequest, code: "batch_too_large", "at most \(Self.maxBatch) uploads a batch")
            }
            // Each item checked and signed on its own, then every upload to record in one
            // database transaction: one durable write per batch.
            let heads = ObjectHeads()
            let prepared = await Self.inParallel(body.uploads) { upload in
                do {
                    return Result<BeginPlan, APIError>.success(try await prepare(upload, user: user, heads: heads))
                } catch {
                    return .failure(Self.refusal(error))
                }
            }
            let planned = await record(prepared.compactMap { try? $0.get() }, user: user)
            var recorded = planned.makeIterator()
            let results = prepared.map { item in Self.batchResult(item.flatMap { _ in recorded.next()! }) }
            return try json(BatchResponse(results: results))
        }
        api.post("batch/complete") { request, context in
            let user = try context.requireCaller().user
            let body = try await request.decode(as: BatchCompleteRequest.self, context: context)
            guard body.uploads.count <= Self.maxBatch else {
                throw APIError(.badRequest, code: "batch_too_large", "at most \(Self.maxBatch) uploads a batch")
            }
            // The S3 side of every item at once (ownership, completion, the object's check), then
            // one database transaction for all that passed: one durable write per batch.
            let checked: [Result<UploadRecord, APIError>] = await Self.inParallel(body.uploads) { item in
                do {
                    let upload = try await owned(item.uploadId, user: user)
                    try await verifyObject(upload, parts: item.parts, user: user)
                    return .success(upload)
                } catch {
                    return .failure(Self.refusal(error))
                }
            }
            let ready = checked.compactMap { try? $0.get() }
            var committed = try await store.commitMany(
                userId: user.id,
                ready.map {
                    MetadataStore.CommitItem(
                        path: $0.path,
                        kind: .file,
                        size: $0.size,
                        contentHash: $0.contentHash,
                        baseRevision: $0.baseRevision,
                        finishingUpload: $0.id
                    )
                }
            ).makeIterator()
            let results = checked.map { check -> BatchResult<FileMetadata> in
                let outcome = check.flatMap { _ in committed.next()!.mapError(APIError.from) }
                if case .success(let file) = outcome {
                    metrics.uploadsCompleted.increment()
                    metrics.uploadedBytes.increment(by: file.size)
                }
                return Self.batchResult(outcome.map(FileMetadata.init))
            }
            return try json(BatchResponse(results: results))
        }
        api.post("uploads/{id}/parts") { request, context in
            let user = try context.requireCaller().user
            let upload = try await owned(context.parameters.require("id"), user: user)
            let body = try await request.decode(as: PartURLsRequest.self, context: context)
            guard let s3UploadId = upload.s3UploadId else { throw APIError(.badRequest, code: "not_multipart", "this upload is a single PUT") }
            let layout = try Self.layout(fileSize: upload.size)
            guard (1...PartLayout.maxParts).contains(body.partNumbers.count) else {
                throw APIError(.badRequest, code: "invalid_part", "ask for 1...\(PartLayout.maxParts) part numbers at a time")
            }
            var urls: [String: String] = [:]
            var headers: [String: [String: String]] = [:]
            for number in body.partNumbers where !(1...layout.partCount).contains(number) {
                throw APIError(.badRequest, code: "invalid_part", "part \(number) is outside 1...\(layout.partCount)")
            }
            let digests = try await partDigests(upload, numbers: body.partNumbers, sha256: body.sha256)
            let key = blobs.key(userId: user.id, sha256: upload.contentHash)
            for number in body.partNumbers {
                let signed = try await blobs.presignPart(key: key, uploadId: s3UploadId, partNumber: number, sha256: digests[number]!)
                urls[String(number)] = signed.url
                headers[String(number)] = signed.headers
            }
            return try json(PartURLsResponse(urls: urls, headers: headers))
        }
        api.get("uploads/{id}/parts") { _, context in
            let user = try context.requireCaller().user
            let upload = try await owned(context.parameters.require("id"), user: user)
            guard let s3UploadId = upload.s3UploadId else { throw APIError(.badRequest, code: "not_multipart", "this upload is a single PUT") }
            let held: [CompletedPart]
            do {
                held = try await blobs.listParts(key: blobs.key(userId: user.id, sha256: upload.contentHash), uploadId: s3UploadId)
            } catch let error as BlobStoreError where error.code == .missing {
                throw APIError(.notFound, code: "not_found", "S3 no longer has this upload")
            }
            // The SHA-256 each part was verified against: S3's own where it lists it, else the one
            // its URL was signed with (the only one S3 accepted for that part).
            let signed = try await store.blockDigests(uploadId: upload.id)
            return try json(
                UploadPartsResponse(
                    parts: held.map {
                        UploadPartsResponse.Part(
                            partNumber: $0.partNumber,
                            etag: $0.etag,
                            size: $0.size,
                            checksumCRC32C: $0.checksum.flatMap { $0.algorithm == .crc32c ? $0.base64 : nil },
                            checksumSHA256: $0.checksum.flatMap { $0.algorithm == .sha256 ? $0.base64 : nil } ?? signed[$0.partNumber]
                        )
                    }
                )
            )
        }
        api.post("uploads/{id}/complete") { request, context in
            let user = try context.requireCaller().user
            let upload = try await owned(context.parameters.require("id"), user: user)
            let body = try await request.decode(as: CompleteUploadRequest.self, context: context)
            return try json(FileMetadata(try await complete(upload, parts: body.parts, user: user)))
        }
        api.delete("uploads/{id}") { _, context in
            let user = try context.requireCaller().user
            let upload = try await owned(context.parameters.require("id"), user: user)
            if let s3UploadId = upload.s3UploadId {
                do {
                    try await blobs.abortMultipartUpload(key: blobs.key(userId: user.id, sha256: upload.contentHash), uploadId: s3UploadId)
                } catch let error as BlobStoreError where error.code == .missing {
                    // Gone from S3 already (aborted by the collector): what was asked is done.
                }
            }
            try await store.deleteUpload(id: upload.id)
            return Response(status: .noContent)
        }
    }

    static let maxBatch = 1000
    /// Items of one batch worked on at once: their S3 calls (HEAD, presigning) overlap, their
    /// database writes queue in the store.
    static let batchConcurrency = 16

    /// `transform` over `items`, `batchConcurrency` at a time, results in the items' order.
    static func inParallel<Item: Sendable, Result: Sendable>(
        _ items: [Item],
        _ transform: @escaping @Sendable (Item) async -> Result
    ) async -> [Result] {
        await Concurrently.map(items, width: batchConcurrency, transform)
    }

    /// One item of a batch as its answer: its value, or the error its own request would have answered.
    static func batchResult<T>(_ outcome: Result<T, APIError>) -> BatchResult<T> {
        switch outcome {
        case .success(let value): BatchResult(value: value)
        case .failure(let error):
            BatchResult(status: Int(error.status.code), error: ConflictBody(code: error.code, message: error.message, current: error.current))
        }
    }

    /// What a batch item's own request would have answered for `error`: the API's and the
    /// store's refusals as they are; anything else a 500 whose text stays in the log.
    static func refusal(_ error: any Error) -> APIError {
        if let answer = APIError.answering(error) { return answer }
        logger.error("batch item failed", metadata: ["error": "\(error)"])
        return APIError(.internalServerError, code: "internal", "the server failed on this item; it is logged")
    }

    static let logger = Logger(label: "syncd-server.uploads")

    func owned(_ id: String, user: User) async throws -> UploadRecord {
        guard let upload = try await store.upload(id: id, userId: user.id) else {
            throw APIError(.notFound, code: "not_found", "no such upload")
        }
        return upload
    }

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

    /// An upload to record for a begin `prepare` checked, its S3 side made (a multipart
    /// upload) or signed (a single PUT).
    func prepareUpload(_ body: BeginUploadRequest, user: User) async throws -> BeginPlan {
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
        if ContentIdentity.blockCount(forFileSize: body.size) <= 1 {
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

    /// Checks the object S3 holds (size, SSE-S3), then records the new revision.
    func complete(_ upload: UploadRecord, parts: [CompleteUploadRequest.Part], user: User) async throws -> FileRecord {
        try await verifyObject(upload, parts: parts, user: user)
        let file = try await store.commit(
            userId: user.id,
            path: upload.path,
            kind: .file,
            size: upload.size,
            contentHash: upload.contentHash,
            baseRevision: upload.baseRevision,
            finishingUpload: upload.id
        )
        metrics.uploadsCompleted.increment()
        metrics.uploadedBytes.increment(by: upload.size)
        return file
    }

    /// Proves a multipart upload's parts are the declared content and completes it in S3 (see
    /// ``proveParts``), then checks the object: there, the declared size, SSE-S3, the signed
    /// SHA-256. Throws the API's refusal otherwise. The client's part list is not trusted: the
    /// parts come from S3's listing.
    func verifyObject(_ upload: UploadRecord, parts: [CompleteUploadRequest.Part], user: User) async throws {
        let key = blobs.key(userId: user.id, sha256: upload.contentHash)
        if let s3UploadId = upload.s3UploadId {
            let completed = try await proveParts(upload, key: key, s3UploadId: s3UploadId)
            do {
                try await blobs.completeMultipartUpload(key: key, uploadId: s3UploadId, parts: completed)
            } catch let error as BlobStoreError where error.isS3Answer && error.code != .unavailable {
                // S3's own refusal of these parts (InvalidPart, NoSuchUpload...): the upload is
                // to begin again. A failure to reach S3 is not: the client completes it again.
                throw APIError(.badRequest, code: "incomplete_upload", "S3 did not accept the parts: \(error.s3Code ?? error.message)")
            }
        }
        guard let object = try await blobs.head(key) else {
            throw APIError(.badRequest, code: "incomplete_upload", "the object is not in the bucket: send its bytes first")
        }
        guard object.size == upload.size, object.serverSideEncryption == .aes256 else {
            throw APIError(.badRequest, code: "bad_object", "the stored object is \(object.size) bytes (expected \(upload.size)) or not encrypted")
        }
        if upload.s3UploadId == nil { try await proveSingle(upload, object: object) }
    }

    /// Parts of an upload: one per block of the content identity.
    static func layout(fileSize: Int64) throws -> PartLayout {
        try PartLayout(fileSize: fileSize, preferredPartSize: ContentIdentity.blockSize(forFileSize: fileSize))
    }
}
