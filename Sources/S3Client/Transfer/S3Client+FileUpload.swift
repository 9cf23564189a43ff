import Logging
import NIOHTTP1

extension S3Client {
    /// Uploads a file: one PUT below the multipart threshold, otherwise a multipart upload with
    /// parallel parts, each carrying a checksum S3 verifies, the object written with SSE-S3.
    ///
    /// Memory is bounded whatever the size: parts stream from the file in 1 MiB reads. If the
    /// upload fails part-way, the error is an ``S3Error`` of kind ``S3Error/Kind/uploadInterrupted``
    /// carrying the upload id and the finished parts; pass the id back as
    /// ``FileUploadOptions/resumeUploadId`` to continue where it stopped, or abort it.
    public func uploadFile(
        at path: String,
        bucket: String,
        key: String,
        options: FileUploadOptions = FileUploadOptions()
    ) async throws -> FileUploadResult {
        let file = try ReadableFile(path: path)
        if file.size < options.multipartThreshold && options.resumeUploadId == nil {
            var object = options.object
            object.checksum = try await file.checksum(options.checksumAlgorithm, range: 0..<file.size)
            let slice = FileSlice(file: file, range: 0..<file.size)
            let response = try await send(Request(method: .PUT, bucket: bucket, key: key, headers: object.headers, body: .file(slice)))
            return FileUploadResult(
                etag: PutObjectResult(headers: response.headers).etag,
                size: file.size,
                uploadId: nil,
                partsUploaded: 1,
                partsReused: 0
            )
        }
        let layout = try PartLayout(fileSize: file.size, preferredPartSize: options.partSize)

        let uploadId: String
        var existing: [Int: CompletedPart] = [:]
        if let resumeId = options.resumeUploadId {
            do {
                existing = Dictionary(try await listParts(bucket: bucket, key: key, uploadId: resumeId).map { ($0.partNumber, $0) }) { a, _ in a }
                uploadId = resumeId
            } catch let error as S3Error where error.code == "NoSuchUpload" {
                logger.info("upload to resume is gone; starting again", metadata: ["key": "\(key)", "uploadId": "\(resumeId)"])
                uploadId = try await createMultipartUpload(
                    bucket: bucket,
                    key: key,
                    options: options.object,
                    checksumAlgorithm: options.checksumAlgorithm
                )
            }
        } else {
            uploadId = try await createMultipartUpload(
                bucket: bucket,
                key: key,
                options: options.object,
                checksumAlgorithm: options.checksumAlgorithm
            )
        }

        let runner = PartRunner(layout: layout, algorithm: options.checksumAlgorithm, concurrency: options.concurrency)
        let outcome = await runner.run(file: file, held: existing) { number, range, checksum in
            try await self.uploadPart(
                bucket: bucket,
                key: key,
                uploadId: uploadId,
                partNumber: number,
                body: .file(FileSlice(file: file, range: range)),
                size: Int64(range.count),
                checksum: checksum
            )
        } finished: { part, kept in
            if !kept { await options.partCompleted?(uploadId, part) }
        }
        if let failure = outcome.failure {
            throw S3Error(
                kind: .uploadInterrupted,
                message: "upload of \(key) stopped after \(outcome.parts.count) of \(layout.partCount) parts: \(failure)",
                code: (failure as? S3Error)?.code,
                statusCode: (failure as? S3Error)?.statusCode,
                uploadId: uploadId,
                completedParts: outcome.parts,
                underlying: failure
            )
        }
        let result = try await completeMultipartUpload(bucket: bucket, key: key, uploadId: uploadId, parts: outcome.parts)
        return FileUploadResult(etag: result.etag, size: file.size, uploadId: uploadId, partsUploaded: outcome.sent, partsReused: outcome.kept)
    }
}
