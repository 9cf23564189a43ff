import Foundation
import Logging
import S3Client
import SyncAPI
public import SyncEngine

/// Uploads: a file of one block is one presigned PUT; a larger one is a multipart upload with
/// one part per block, sent by S3Client's ``PartRunner`` through presigned part URLs, each
/// part journalled as S3 stores it (``UploadResumeLog``) so that a crash resumes from the
/// finished parts.
extension ServerRemote {
    public func upload(_ source: UploadSource, baseRevision: Int64?) async throws -> RemoteEntry {
        let path = source.path
        return try await Self.conflicts(path) {
            do {
                return try await send(source, baseRevision: baseRevision)
            } catch let error as ServerError where error.code == "content_mismatch" {
                // The bytes sent are not the content scanned: the file changed in between.
                throw LocalFileError(.changedSinceScan, "\(path) is not what was scanned (\(error.message)); it is rescanned and sent again")
            }
        }
    }

    private func send(_ source: UploadSource, baseRevision: Int64?) async throws -> RemoteEntry {
        let (path, size) = (source.path, source.size)
        board.start(path.string, direction: "upload", size: size)
        defer { board.end(path.string, direction: "upload") }

        if let session = try uploads.uploadSession(for: path), session.contentHash == source.contentHash, session.size == size, session.partSize > 0 {
            do {
                return try await multipart(source, session: session, resumed: true)
            } catch let error as ServerError where error.status == 404 {
                // The server forgot the upload (aborted as too old): start again.
                logger.notice("the server no longer knows the interrupted upload; starting over", metadata: ["path": "\(path)"])
                try uploads.forgetUpload(path)
            }
        }
        // A one-block file's PUT is signed with that block's SHA-256, which begin carries (the
        // scan's when at hand; S3 refuses the PUT if the bytes are not that block).
        let blockSha256: String? =
            if ContentIdentity.blockCount(forFileSize: size) > 1 {
                nil
            } else if let digests = source.blockDigests, digests.count == 1 {
                ContentIdentity.base64(digests[0])
            } else {
                try await PresignedTransfer.checksum(.sha256, file: source.readablePath, range: 0..<size).base64
            }
        let plan = try await batches.begin(
            BeginUploadRequest(
                path: path.string,
                size: size,
                sha256: source.contentHash,
                baseRevision: baseRevision,
                blockSha256: blockSha256,
                seenCursor: baseRevision == nil ? seenCursor : nil
            )
        )
        switch plan.mode {
        case .stored:
            guard let file = plan.file else { throw ServerError(status: 0, code: "bad_response", message: "stored upload without its file") }
            board.add(path.string, direction: "upload", bytes: 0)
            return Self.entry(file)
        case .single:
            guard let id = plan.uploadId, let url = plan.url else {
                throw ServerError(status: 0, code: "bad_response", message: "single upload without URL")
            }
            do {
                try await transfer.put(url: url, headers: plan.headers, file: source.readablePath) { [board] bytes in
                    board.add(path.string, direction: "upload", bytes: bytes)
                }
            } catch {
                try? await api.call("DELETE", "/uploads/\(id)")
                throw Self.changed(source) ?? Self.refusedDigest(error, source) ?? error
            }
            return Self.entry(try await batches.complete(id, parts: []))
        case .multipart:
            guard let id = plan.uploadId, let partSize = plan.partSize else {
                throw ServerError(status: 0, code: "bad_response", message: "multipart upload without id or part size")
            }
            let session = UploadSession(
                path: path,
                uploadId: id,
                size: size,
                mtimeNs: source.before.mtimeNs,
                inode: source.before.inode,
                contentHash: source.contentHash,
                startedAt: Date(),
                partSize: partSize
            )
            try uploads.beginUpload(session)
            return try await multipart(source, session: session, resumed: false)
        }
    }

    /// Sends the parts the session does not have yet, then completes the upload.
    /// - Parameter resumed: the session comes from the journal (an earlier run): S3 may hold
    ///   parts the journal did not get to record.
    private func multipart(_ source: UploadSource, session: UploadSession, resumed: Bool) async throws -> RemoteEntry {
        let path = source.path
        let layout = try PartLayout(fileSize: session.size, preferredPartSize: session.partSize)
        let known = Dictionary(session.parts.map { ($0.partNumber, Self.completed($0)) }) { a, _ in a }
        var held: [Int: CompletedPart] = [:]
        if resumed {
            // S3 may hold parts the journal did not get to record (the crash came between S3's
            // answer and the journal); the runner keeps each whose SHA-256 is the file's bytes there.
            let listing: UploadPartsResponse = try await api.get("/uploads/\(session.uploadId)/parts")
            for part in listing.parts where known[part.partNumber] == nil {
                held[part.partNumber] = CompletedPart(
                    partNumber: part.partNumber,
                    etag: part.etag,
                    size: part.size,
                    checksum: part.checksumSHA256.map { Checksum(algorithm: .sha256, base64: $0) }
                )
            }
        }
        if !known.isEmpty {
            board.add(path.string, direction: "upload", bytes: known.values.reduce(Int64(0)) { $0 + $1.size })
        }
        let runner = PartRunner(layout: layout, algorithm: .sha256, concurrency: partConcurrency)
        let outcome = await runner.run(path: source.readablePath, known: known, held: held, checksums: Self.blockChecksums(source, layout: layout)) {
            [self] number, range, checksum in
            try await sendPart(number, range: range, checksum: checksum, of: session, from: source)
        } finished: { part, kept in
            if kept { board.add(path.string, direction: "upload", bytes: part.size) }
            try uploads.recordPart(Self.uploaded(part), of: path)
        }
        if resumed {
            logger.info(
                "resumed upload",
                metadata: [
                    "path": "\(path)", "parts_kept": "\(known.count + outcome.kept)", "parts_total": "\(layout.partCount)",
                    "parts_found_in_s3_only": "\(outcome.kept)",
                ]
            )
        }
        // The bytes S3 verified part by part are the file's only if it did not change meanwhile;
        // a part S3 refused (BadDigest) because the file is being rewritten is a rescan's news,
        // not a failure to back off from.
        if let changed = Self.changed(source) ?? outcome.failure.flatMap({ Self.refusedDigest($0, source) }) {
            try? await api.call("DELETE", "/uploads/\(session.uploadId)")
            try uploads.forgetUpload(path)
            throw changed
        }
        if let failure = outcome.failure { throw failure }
        let parts = outcome.parts.map { CompleteUploadRequest.Part(partNumber: $0.partNumber, etag: $0.etag, checksumSHA256: $0.checksum?.base64) }
        do {
            return Self.entry(try await batches.complete(session.uploadId, parts: parts))
        } catch let error as ServerError where error.status == 409 || error.code == "content_mismatch" || error.code == "incomplete_upload" {
            // content_mismatch: the parts are not the scanned content (the server aborted the
            // upload); the next scan rehashes and the upload starts over. incomplete_upload
            // after every part was sent: S3 does not hold what the session says; start over
            // rather than resume the same upload for ever.
            try? await api.call("DELETE", "/uploads/\(session.uploadId)")
            try uploads.forgetUpload(path)
            throw error
        }
    }

    private func sendPart(
        _ number: Int,
        range: Range<Int64>,
        checksum: Checksum,
        of session: UploadSession,
        from source: UploadSource
    ) async throws -> CompletedPart {
        let signed: PartURLsResponse = try await api.post(
            "/uploads/\(session.uploadId)/parts",
            PartURLsRequest(partNumbers: [number], sha256: [String(number): checksum.base64])
        )
        guard let url = signed.urls[String(number)] else { throw ServerError(status: 0, code: "bad_response", message: "no URL for part \(number)") }
        let path = session.path.string
        let etag = try await transfer.put(url: url, headers: signed.headers[String(number)] ?? [:], file: source.readablePath, range: range) {
            [board] bytes in
            board.add(path, direction: "upload", bytes: bytes)
        }
        return CompletedPart(partNumber: number, etag: etag, size: Int64(range.count), checksum: checksum)
    }

    /// The scan's block digests as the parts' checksums, when the parts are the identity's
    /// blocks (they are for every upload the server plans; an odd layout gets none).
    static func blockChecksums(_ source: UploadSource, layout: PartLayout) -> [Int: Checksum] {
        guard let digests = source.blockDigests, digests.count == layout.partCount else { return [:] }
        var checksums: [Int: Checksum] = [:]
        for (index, digest) in digests.enumerated() {
            let number = index + 1
            guard layout.range(ofPart: number) == ContentIdentity.range(ofBlock: number, fileSize: source.size) else { return [:] }
            checksums[number] = Checksum(algorithm: .sha256, base64: ContentIdentity.base64(digest))
        }
        return checksums
    }

    /// The error to give when the file is no longer what the upload started from (the engine
    /// rescans it at once and sends it again); nil when it is unchanged.
    static func changed(_ source: UploadSource) -> LocalFileError? {
        source.isUnchanged() ? nil : LocalFileError(.changedSinceScan, "\(source.path) changed during its upload; it is sent again")
    }

    /// S3 refused the bytes as not having the digest they were signed with (`BadDigest`): the
    /// file is not the content scanned, whatever its status says. A rescan's news (the upload
    /// is given up and the file looked at again), not a failure to back off from; the engine's
    /// re-plan limit stops a file that keeps doing it from looping.
    static func refusedDigest(_ error: any Error, _ source: UploadSource) -> LocalFileError? {
        guard let s3 = error as? S3Error, s3.code == "BadDigest" else { return nil }
        return LocalFileError(.changedSinceScan, "\(source.path) is not the content scanned (S3 refused a digest); it is rescanned and sent again")
    }

    /// A journalled part as S3Client's, and back (the journal keeps the checksum as its text).
    static func completed(_ part: UploadedPart) -> CompletedPart {
        CompletedPart(partNumber: part.partNumber, etag: part.etag, size: part.size, checksum: part.checksum.flatMap(Checksum.init(text:)))
    }

    static func uploaded(_ part: CompletedPart) -> UploadedPart {
        UploadedPart(partNumber: part.partNumber, etag: part.etag, size: part.size, checksum: part.checksum?.description)
    }
}
