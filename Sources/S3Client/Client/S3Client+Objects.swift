import AsyncHTTPClient
import Crypto
public import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

extension S3Client {
    // MARK: Buckets

    /// Creates a bucket (CreateBucket). An existing bucket that the caller owns is not an error.
    public func createBucket(_ bucket: String) async throws {
        var headers: [(name: String, value: String)] = []
        var body = Request.Body.empty
        if configuration.region != "us-east-1" {
            let xml =
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(configuration.region)</LocationConstraint></CreateBucketConfiguration>"
            body = .bytes(ByteBuffer(string: xml))
            headers.append(("Content-Type", "application/xml"))
        }
        do {
            _ = try await send(Request(method: .PUT, bucket: bucket, headers: headers, body: body))
        } catch let error as S3Error where error.code == "BucketAlreadyOwnedByYou" {
            return
        }
    }

    /// Deletes an empty bucket (DeleteBucket).
    public func deleteBucket(_ bucket: String) async throws {
        _ = try await send(Request(method: .DELETE, bucket: bucket))
    }

    /// Aborts every multipart upload in the bucket and deletes every object in it.
    public func emptyBucket(_ bucket: String) async throws {
        for upload in try await listMultipartUploads(bucket: bucket) {
            try await abortMultipartUpload(bucket: bucket, key: upload.key, uploadId: upload.uploadId)
        }
        let keys = try await listAllObjects(bucket: bucket).collect().map(\.key)
        if !keys.isEmpty { _ = try await deleteObjects(bucket: bucket, keys: keys) }
    }

    // MARK: PutObject

    /// Writes an object from memory (PutObject).
    public func putObject(
        bucket: String,
        key: String,
        bytes: some DataProtocol & Sendable,
        options: PutObjectOptions = PutObjectOptions()
    ) async throws -> PutObjectResult {
        let response = try await send(
            Request(method: .PUT, bucket: bucket, key: key, headers: options.headers, body: .bytes(ByteBuffer(bytes: bytes)))
        )
        return PutObjectResult(headers: response.headers)
    }

    /// Writes an object by streaming a file (PutObject), reading it in 1 MiB chunks: memory
    /// stays flat whatever the size. S3 caps a single PUT at 5 GiB; larger files need
    /// ``uploadFile(at:bucket:key:options:)``.
    public func putObject(
        bucket: String,
        key: String,
        fileAt path: String,
        options: PutObjectOptions = PutObjectOptions()
    ) async throws -> PutObjectResult {
        let file = try ReadableFile(path: path)
        let slice = FileSlice(file: file, range: 0..<file.size)
        let response = try await send(Request(method: .PUT, bucket: bucket, key: key, headers: options.headers, body: .file(slice)))
        return PutObjectResult(headers: response.headers)
    }

    // MARK: GetObject and HeadObject

    /// Reads an object, or a byte range of it (`range` is inclusive, as in HTTP), into memory.
    public func getObject(
        bucket: String,
        key: String,
        range: ClosedRange<Int64>? = nil,
        maxSize: Int = 256 << 20
    ) async throws -> (metadata: ObjectMetadata, bytes: [UInt8]) {
        let response = try await send(Request(method: .GET, bucket: bucket, key: key, headers: Self.rangeHeader(range)), maxBody: maxSize)
        return (ObjectMetadata(headers: response.headers.map { ($0.name, $0.value) }), Array(buffer: response.body))
    }

    /// Streams an object (or a range of it) into a file, created or truncated. If the
    /// connection breaks mid-body the request is retried and the file written from the start.
    /// With `verify`, the bytes written are checked against that checksum before returning.
    @discardableResult
    public func getObject(
        bucket: String,
        key: String,
        toFile path: String,
        range: ClosedRange<Int64>? = nil,
        verify: Checksum? = nil
    ) async throws -> ObjectMetadata {
        let request = Request(method: .GET, bucket: bucket, key: key, headers: Self.rangeHeader(range))
        return try await send(request) { response in
            let writer = try WritableFile(path: path)
            var hasher = verify.map { ChecksumHasher($0.algorithm) }
            for try await chunk in response.body {
                chunk.withUnsafeReadableBytes { hasher?.update($0) }
                try await writer.write(chunk)
            }
            try await writer.finish()
            if let verify, let hasher, hasher.finalize() != verify {
                throw S3Error(kind: .checksumMismatch, message: "\(key): downloaded bytes have \(hasher.finalize()), expected \(verify)")
            }
            return ObjectMetadata(headers: response.headers.map { ($0.name, $0.value) })
        }
    }

    /// Reads an object's metadata (HeadObject), checksums included. A missing object throws
    /// an ``S3Error`` with status 404.
    public func headObject(bucket: String, key: String) async throws -> ObjectMetadata {
        let response = try await send(Request(method: .HEAD, bucket: bucket, key: key, headers: [("x-amz-checksum-mode", "ENABLED")]))
        return ObjectMetadata(headers: response.headers.map { ($0.name, $0.value) })
    }

    // MARK: Delete and copy

    /// Deletes an object (DeleteObject). Deleting a key that does not exist succeeds, as in S3.
    public func deleteObject(bucket: String, key: String) async throws {
        _ = try await send(Request(method: .DELETE, bucket: bucket, key: key))
    }

    /// Deletes up to 1,000 objects in one request (DeleteObjects); larger lists are sent in
    /// batches. Per-key failures are returned, not thrown.
    public func deleteObjects(bucket: String, keys: [String]) async throws -> DeleteObjectsResult {
        var result = DeleteObjectsResult(deleted: [], failures: [])
        for start in stride(from: 0, to: keys.count, by: 1000) {
            let batch = keys[start..<min(start + 1000, keys.count)]
            var xml = "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>false</Quiet>"
            for key in batch { xml += "<Object><Key>\(XMLWriter.escape(key))</Key></Object>" }
            xml += "</Delete>"
            let body = Array(xml.utf8)
            // DeleteObjects requires an integrity header; Content-MD5 is the one every
            // S3-compatible server knows.
            let md5 = Data(Insecure.MD5.hash(data: body)).base64EncodedString()
            let response = try await send(
                Request(
                    method: .POST,
                    bucket: bucket,
                    query: [("delete", "")],
                    headers: [("Content-Type", "application/xml"), ("Content-MD5", md5)],
                    body: .bytes(ByteBuffer(bytes: body))
                )
            )
            let tree = try response.xml()
            result.deleted += tree.all("Deleted").compactMap { $0.text("Key") }
            result.failures += tree.all("Error").map {
                DeleteObjectsResult.Failure(key: $0.text("Key") ?? "", code: $0.text("Code") ?? "", message: $0.text("Message") ?? "")
            }
        }
        return result
    }

    /// Copies an object server-side (CopyObject, up to 5 GiB), encrypting the copy with the
    /// options' SSE setting. Metadata is copied from the source.
    public func copyObject(
        fromBucket sourceBucket: String,
        key sourceKey: String,
        toBucket bucket: String,
        key: String,
        options: PutObjectOptions = PutObjectOptions()
    ) async throws -> PutObjectResult {
        var headers = options.headers.filter { !$0.name.lowercased().hasPrefix("x-amz-checksum-") }
        headers.append(("x-amz-copy-source", "/" + AWSURIEncoding.encodePath(sourceBucket) + "/" + AWSURIEncoding.encodePath(sourceKey)))
        let response = try await send(Request(method: .PUT, bucket: bucket, key: key, headers: headers, errorMayArriveWith200: true))
        return try PutObjectResult(xmlResponse: response)
    }

    static func rangeHeader(_ range: ClosedRange<Int64>?) -> [(name: String, value: String)] {
        guard let range else { return [] }
        return [("Range", "bytes=\(range.lowerBound)-\(range.upperBound)")]
    }
}

extension PutObjectResult {
    /// From a response whose XML body names the new object's ETag (CopyObject's
    /// `CopyObjectResult`, CompleteMultipartUpload's `CompleteMultipartUploadResult`).
    init(xmlResponse response: S3Client.Response) throws {
        self.init(headers: response.headers)
        etag = try response.xml().text("ETag").map(unquote) ?? etag
    }

    init(headers: HTTPHeaders) {
        let metadata = ObjectMetadata(headers: headers.map { ($0.name, $0.value) })
        self.init(
            etag: metadata.etag,
            versionId: metadata.versionId,
            serverSideEncryption: metadata.serverSideEncryption,
            checksum: metadata.checksums.first
        )
    }
}
