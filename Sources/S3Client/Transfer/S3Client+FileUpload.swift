import Logging

extension S3Client {
    /// Uploads a file: one PUT below the multipart threshold, otherwise a multipart upload with
    /// parallel parts, each carrying a checksum S3 verifies, the object written with SSE-S3.
    ///
    /// Memory is bounded whatever the size: parts stream from the file in 1 MiB reads. If the
    /// upload fails part-way, the error is an ``S3Error`` of kind ``S3Error/Kind/uploadInterrupted``
    /// carrying the upload id and the finished parts; pass the id back as
    /// ``FileUploadOptions/resumeUploadId`` to continue where it stopped, or abort it.
    public func uploadFile(at path: String, bucket: String, key: String, options: FileUploadOptions = FileUploadOptions()) async throws -> FileUploadResult {
        let file = try ReadableFile(path: path)
        if file.size < options.multipartThreshold && options.resumeUploadId == nil {
            var object = options.object
            object.checksum = try await file.checksum(options.checksumAlgorithm, range: 0..<file.size)
            let slice = FileSlice(file: file, range: 0..<file.size)
            let response = try await send(Request(method: .PUT, bucket: bucket, key: key, headers: object.headers, body: .file(slice)))
            return FileUploadResult(etag: PutObjectResult(headers: response.headers).etag, size: file.size, uploadId: nil, partsUploaded: 1, partsReused: 0)
        }
        let layout = try PartLayout(fileSize: file.size, preferredPartSize: options.partSize)

        var uploadId: String
        var existing: [Int: CompletedPart] = [:]
        if let resumeId = options.resumeUploadId {
            do {
                existing = Dictionary(try await listParts(bucket: bucket, key: key, uploadId: resumeId).map { ($0.partNumber, $0) }) { a, _ in a }
                uploadId = resumeId
            } catch let error as S3Error where error.code == "NoSuchUpload" {
                logger.info("upload to resume is gone; starting again", metadata: ["key": "\(key)", "uploadId": "\(resumeId)"])
                uploadId = try await createMultipartUpload(bucket: bucket, key: key, options: options.object, checksumAlgorithm: options.checksumAlgorithm)
            }
        } else {
            uploadId = try await createMultipartUpload(bucket: bucket, key: key, options: options.object, checksumAlgorithm: options.checksumAlgorithm)
        }

        let outcome = await uploadParts(file: file, layout: layout, bucket: bucket, key: key, uploadId: uploadId, existing: existing, options: options)
        if let failure = outcome.failure {
            throw S3Error(
                kind: .uploadInterrupted,
                message: "upload of \(key) stopped after \(outcome.parts.count) of \(layout.partCount) parts: \(failure)",
                code: (failure as? S3Error)?.code,
                statusCode: (failure as? S3Error)?.statusCode,
                uploadId: uploadId,
                completedParts: outcome.parts.sorted { $0.partNumber < $1.partNumber },
                underlying: failure
            )
        }
        let result = try await completeMultipartUpload(bucket: bucket, key: key, uploadId: uploadId, parts: outcome.parts)
        return FileUploadResult(etag: result.etag, size: file.size, uploadId: uploadId, partsUploaded: outcome.uploaded, partsReused: outcome.reused)
    }

    /// Whether a part S3 already holds has the file's current bytes: by the checksum S3
    /// verified, else by its ETag when that is the part's MD5 (as S3 makes it for SSE-S3).
    /// Anything else is sent again rather than trusted.
    static func matches(_ held: CompletedPart, file: ReadableFile, range: Range<Int64>, checksum: Checksum) async throws -> Bool {
        guard held.size == Int64(range.count) else { return false }
        if let stored = held.checksum { return stored == checksum }
        guard let etagMD5 = Hex.decode(held.etag), etagMD5.count == 16 else { return false }
        return try await file.md5(range: range) == etagMD5
    }

    private struct PartsOutcome {
        var parts: [CompletedPart] = []
        var uploaded = 0
        var reused = 0
        var failure: (any Error)?
    }

    /// Sends the parts S3 does not already hold, `concurrency` at a time. Stops starting new
    /// parts at the first failure and reports what finished.
    private func uploadParts(
        file: ReadableFile, layout: PartLayout, bucket: String, key: String, uploadId: String,
        existing: [Int: CompletedPart], options: FileUploadOptions
    ) async -> PartsOutcome {
        await withTaskGroup(of: (CompletedPart?, reused: Bool, (any Error)?).self) { group in
            var outcome = PartsOutcome()
            var next = 1
            func startPart(_ number: Int) {
                group.addTask {
                    do {
                        let range = layout.range(ofPart: number)
                        let checksum = try await file.checksum(options.checksumAlgorithm, range: range)
                        if let held = existing[number], try await Self.matches(held, file: file, range: range, checksum: checksum) {
                            var part = held
                            part.checksum = checksum
                            return (part, true, nil)
                        }
                        let part = try await self.uploadPart(
                            bucket: bucket, key: key, uploadId: uploadId, partNumber: number,
                            body: .file(FileSlice(file: file, range: range)), size: Int64(range.count), checksum: checksum)
                        await options.partCompleted?(uploadId, part)
                        return (part, false, nil)
                    } catch {
                        return (nil, false, error)
                    }
                }
            }
            while next <= min(layout.partCount, options.concurrency) {
                startPart(next)
                next += 1
            }
            for await (part, reused, error) in group {
                if let part {
                    outcome.parts.append(part)
                    if reused { outcome.reused += 1 } else { outcome.uploaded += 1 }
                } else if outcome.failure == nil {
                    outcome.failure = error
                }
                if outcome.failure == nil && next <= layout.partCount && !Task.isCancelled {
                    startPart(next)
                    next += 1
                }
            }
            if outcome.failure == nil && outcome.parts.count < layout.partCount {
                outcome.failure = CancellationError()
            }
            return outcome
        }
    }
}
