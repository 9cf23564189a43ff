import Concurrently
import Foundation
import Hummingbird
import Logging
import Prometheus
import S3Client
import SyncAPI

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
            return try json(try await partURLs(upload, body: body, user: user))
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
            try await abort(try await owned(context.parameters.require("id"), user: user), user: user)
            return Response(status: .noContent)
        }
    }

    /// Presigned URLs for parts of a multipart upload, each with its block's SHA-256 signed in.
    func partURLs(_ upload: UploadRecord, body: PartURLsRequest, user: User) async throws -> PartURLsResponse {
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
        // Each part once, however often it was asked for.
        let numbers = Array(Set(body.partNumbers)).sorted()
        let digests = try await partDigests(upload, numbers: numbers, sha256: body.sha256)
        let key = blobs.key(userId: user.id, sha256: upload.contentHash)
        for number in numbers {
            let signed = try await blobs.presignPart(key: key, uploadId: s3UploadId, partNumber: number, sha256: digests[number]!)
            urls[String(number)] = signed.url
            headers[String(number)] = signed.headers
        }
        return PartURLsResponse(urls: urls, headers: headers)
    }

    /// Drops an upload: S3's parts, then its record (and the room it held).
    func abort(_ upload: UploadRecord, user: User) async throws {
        if let s3UploadId = upload.s3UploadId {
            do {
                try await blobs.abortMultipartUpload(key: blobs.key(userId: user.id, sha256: upload.contentHash), uploadId: s3UploadId)
            } catch let error as BlobStoreError where error.code == .missing {
                // Gone from S3 already (aborted by the collector): what was asked is done.
            }
        }
        try await store.deleteUpload(id: upload.id)
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
