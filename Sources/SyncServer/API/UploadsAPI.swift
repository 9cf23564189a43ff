import Foundation
import Hummingbird
import S3Client
import SyncAPI

/// `/api/v1/uploads`: begin (presigned single PUT or multipart), part URLs, complete, abort.
/// Bytes go from the client to S3; the server only signs and then checks what S3 holds.
struct UploadsAPI {
    let store: MetadataStore
    let blobs: BlobStore
    /// Below this size a file is one PUT.
    let multipartThreshold: Int64
    let partSize: Int64
    let metrics: ServerMetrics
    /// The most bytes one user's files may take; nil: no cap.
    var quota: Int64?

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
            guard body.uploads.count <= Self.maxBatch else { throw APIError(.badRequest, code: "batch_too_large", "at most \(Self.maxBatch) uploads a batch") }
            let results = await Self.inParallel(body.uploads) { upload in await Self.batchResult { try await begin(upload, user: user) } }
            return try json(BatchResponse(results: results))
        }
        api.post("batch/complete") { request, context in
            let user = try context.requireCaller().user
            let body = try await request.decode(as: BatchCompleteRequest.self, context: context)
            guard body.uploads.count <= Self.maxBatch else { throw APIError(.badRequest, code: "batch_too_large", "at most \(Self.maxBatch) uploads a batch") }
            // The S3 side of every item at once (ownership, completion, the object's check), then
            // one database transaction for all that passed: one durable write per batch.
            let checked: [Result<UploadRecord, APIError>] = await Self.inParallel(body.uploads) { item in
                do {
                    let upload = try await owned(item.uploadId, user: user)
                    try await verifyObject(upload, parts: item.parts, user: user)
                    return .success(upload)
                } catch let error as APIError {
                    return .failure(error)
                } catch {
                    return .failure(APIError(.internalServerError, code: "internal", "\(error)"))
                }
            }
            let ready = checked.compactMap { try? $0.get() }
            var committed = try await store.commitMany(userId: user.id, ready.map {
                MetadataStore.CommitItem(
                    path: $0.path, kind: "file", size: $0.size, contentHash: $0.contentHash, baseRevision: $0.baseRevision, finishingUpload: $0.id)
            }).makeIterator()
            let results = checked.map { check -> BatchResult<FileMetadata> in
                let outcome: Result<FileRecord, APIError>
                switch check {
                case .failure(let error): outcome = .failure(error)
                case .success: outcome = committed.next()!.mapError(APIError.from)
                }
                switch outcome {
                case .success(let file):
                    metrics.uploadsCompleted.increment()
                    metrics.uploadedBytes.increment(by: file.size)
                    return BatchResult(value: FileMetadata(file))
                case .failure(let error):
                    return BatchResult(status: Int(error.status.code), error: ConflictBody(code: error.code, message: error.message, current: error.current))
                }
            }
            return try json(BatchResponse(results: results))
        }
        api.post("uploads/{id}/parts") { request, context in
            let user = try context.requireCaller().user
            let upload = try await owned(context.parameters.require("id"), user: user)
            let body = try await request.decode(as: PartURLsRequest.self, context: context)
            guard let s3UploadId = upload.s3UploadId else { throw APIError(.badRequest, code: "not_multipart", "this upload is a single PUT") }
            let layout = try PartLayout(fileSize: upload.size, preferredPartSize: partSize)
            var urls: [String: String] = [:]
            var headers: [String: [String: String]] = [:]
            for number in body.partNumbers {
                guard (1...layout.partCount).contains(number) else { throw APIError(.badRequest, code: "invalid_part", "part \(number) is outside 1...\(layout.partCount)") }
                guard let crc = body.checksums?[String(number)] else {
                    throw APIError(.badRequest, code: "missing_checksum", "every part needs its base64 CRC32C in checksums")
                }
                let signed = try await blobs.presignPart(
                    key: blobs.key(userId: user.id, sha256: upload.contentHash), uploadId: s3UploadId, partNumber: number, crc32c: crc)
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
                held = try await blobs.s3.listParts(bucket: blobs.bucket, key: blobs.key(userId: user.id, sha256: upload.contentHash), uploadId: s3UploadId)
            } catch let error as S3Error where error.statusCode == 404 {
                throw APIError(.notFound, code: "not_found", "S3 no longer has this upload")
            }
            return try json(UploadPartsResponse(parts: held.map {
                UploadPartsResponse.Part(
                    partNumber: $0.partNumber, etag: $0.etag, size: $0.size,
                    checksumCRC32C: $0.checksum.flatMap { $0.algorithm == .crc32c ? $0.base64 : nil })
            }))
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
                try await blobs.s3.abortMultipartUpload(bucket: blobs.bucket, key: blobs.key(userId: user.id, sha256: upload.contentHash), uploadId: s3UploadId)
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
    static func inParallel<Item: Sendable, Result: Sendable>(_ items: [Item], _ transform: @escaping @Sendable (Item) async -> Result) async -> [Result] {
        await withTaskGroup(of: (Int, Result).self) { group in
            var results = [Result?](repeating: nil, count: items.count)
            var next = 0
            while next < min(items.count, batchConcurrency) {
                let index = next
                group.addTask { (index, await transform(items[index])) }
                next += 1
            }
            while let (index, result) = await group.next() {
                results[index] = result
                if next < items.count {
                    let index = next
                    group.addTask { (index, await transform(items[index])) }
                    next += 1
                }
            }
            return results.map { $0! }
        }
    }

    /// One item of a batch: its value, or the error its own request would have answered.
    static func batchResult<T>(_ body: () async throws -> T) async -> BatchResult<T> {
        do {
            return BatchResult(value: try await body())
        } catch let error as APIError {
            return BatchResult(status: Int(error.status.code), error: ConflictBody(code: error.code, message: error.message, current: error.current))
        } catch {
            return BatchResult(status: 500, error: ConflictBody(code: "internal", message: "\(error)", current: nil))
        }
    }

    func owned(_ id: String, user: User) async throws -> UploadRecord {
        guard let upload = try await store.upload(id: id, userId: user.id) else {
            throw APIError(.notFound, code: "not_found", "no such upload")
        }
        return upload
    }

    func begin(_ body: BeginUploadRequest, user: User) async throws -> BeginUploadResponse {
        let hash = body.sha256.lowercased()
        guard hash.count == 64, Hex.decode(hash) != nil else { throw APIError(.badRequest, code: "invalid_sha256", "sha256 must be 64 hex digits") }
        guard body.size >= 0 else { throw APIError(.badRequest, code: "invalid_size", "size must not be negative") }
        try await storeCall { try MetadataStore.validate(body.path) }
        // Refuse early what complete would refuse: a stale base revision.
        let current = try await store.file(userId: user.id, path: body.path)
        if current?.revision != body.baseRevision || current?.kind == "folder" {
            throw APIError(.conflict, code: "revision_conflict", "the item changed since you last saw it", current: current.map(FileMetadata.init))
        }
        if let quota {
            // The file it replaces frees its own size.
            let used = try await store.usedBytes(userId: user.id) - (current?.size ?? 0)
            if used + body.size > quota {
                throw APIError(
                    .init(code: 507, reasonPhrase: "Insufficient Storage"), code: "quota_exceeded",
                    "\(body.path) needs \(ByteCount.human(body.size)), and \(ByteCount.human(max(0, quota - used))) of your \(ByteCount.human(quota)) is free")
            }
        }
        let key = blobs.key(userId: user.id, sha256: hash)
        if try await store.storesContent(userId: user.id, contentHash: hash), let object = try await blobs.head(key), object.size == body.size {
            let file = try await storeCall {
                try await store.commit(userId: user.id, path: body.path, kind: "file", size: body.size, contentHash: hash, baseRevision: body.baseRevision)
            }
            metrics.uploadsCompleted.increment()
            return BeginUploadResponse(mode: "stored", file: FileMetadata(file))
        }
        var record = UploadRecord(
            id: UUID().uuidString.lowercased(), userId: user.id, path: body.path, size: body.size, contentHash: hash,
            baseRevision: body.baseRevision, s3UploadId: nil, createdAt: Date())
        if body.size < multipartThreshold {
            let signed = try await blobs.presignPut(key: key, sha256Hex: hash)
            try await store.createUpload(record)
            return BeginUploadResponse(mode: "single", uploadId: record.id, url: signed.url, headers: signed.headers)
        }
        let layout = try PartLayout(fileSize: body.size, preferredPartSize: partSize)
        record.s3UploadId = try await blobs.s3.createMultipartUpload(
            bucket: blobs.bucket, key: key, options: PutObjectOptions(contentType: body.contentType), checksumAlgorithm: .crc32c)
        try await store.createUpload(record)
        return BeginUploadResponse(mode: "multipart", uploadId: record.id, partSize: layout.partSize, partCount: layout.partCount)
    }

    /// Checks the object S3 holds (size, SSE-S3), then records the new revision.
    func complete(_ upload: UploadRecord, parts: [CompleteUploadRequest.Part], user: User) async throws -> FileRecord {
        try await verifyObject(upload, parts: parts, user: user)
        let file = try await storeCall {
            try await store.commit(
                userId: user.id, path: upload.path, kind: "file", size: upload.size, contentHash: upload.contentHash, baseRevision: upload.baseRevision,
                finishingUpload: upload.id)
        }
        metrics.uploadsCompleted.increment()
        metrics.uploadedBytes.increment(by: upload.size)
        return file
    }

    /// Completes a multipart upload in S3, then checks the object: there, the declared size,
    /// SSE-S3. Throws the API's refusal otherwise.
    func verifyObject(_ upload: UploadRecord, parts: [CompleteUploadRequest.Part], user: User) async throws {
        let key = blobs.key(userId: user.id, sha256: upload.contentHash)
        if let s3UploadId = upload.s3UploadId {
            let completed = parts.map {
                CompletedPart(partNumber: $0.partNumber, etag: $0.etag, size: 0, checksum: $0.checksumCRC32C.map { Checksum(algorithm: .crc32c, base64: $0) })
            }
            do {
                _ = try await blobs.s3.completeMultipartUpload(bucket: blobs.bucket, key: key, uploadId: s3UploadId, parts: completed)
            } catch let error as S3Error where error.kind == .service {
                throw APIError(.badRequest, code: "incomplete_upload", "S3 did not accept the parts: \(error.code ?? error.message)")
            }
        }
        guard let object = try await blobs.head(key) else {
            throw APIError(.badRequest, code: "incomplete_upload", "the object is not in the bucket: send its bytes first")
        }
        guard object.size == upload.size, object.serverSideEncryption == .aes256 else {
            throw APIError(.badRequest, code: "bad_object", "the stored object is \(object.size) bytes (expected \(upload.size)) or not encrypted")
        }
    }
}
