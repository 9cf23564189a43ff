public import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// A part that S3 has stored, as CompleteMultipartUpload needs it.
public struct CompletedPart: Sendable, Hashable, Codable {
    public var partNumber: Int
    public var etag: String
    /// The part's size (known from ListParts, or from the upload).
    public var size: Int64
    /// The checksum S3 verified for the part, if one was sent.
    public var checksum: Checksum?

    public init(partNumber: Int, etag: String, size: Int64, checksum: Checksum? = nil) {
        self.partNumber = partNumber
        self.etag = etag
        self.size = size
        self.checksum = checksum
    }
}

extension Checksum: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let checksum = Checksum(text: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a checksum: \(text)"))
        }
        self = checksum
    }

    /// Reads the `algorithm:base64` text of ``description``; nil for anything else.
    public init?(text: String) {
        guard let colon = text.firstIndex(of: ":"),
            let algorithm = ChecksumAlgorithm.allCases.first(where: { $0.rawValue.lowercased() == text[..<colon] })
        else { return nil }
        self.init(algorithm: algorithm, base64: String(text[text.index(after: colon)...]))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A multipart upload in progress (ListMultipartUploads).
public struct MultipartUploadInfo: Sendable, Equatable {
    public var key: String
    public var uploadId: String
    public var initiated: Date?
}

extension S3Client {
    /// Starts a multipart upload (CreateMultipartUpload) and returns its upload id. With
    /// `checksumAlgorithm`, every part must carry a checksum of that algorithm.
    public func createMultipartUpload(
        bucket: String,
        key: String,
        options: PutObjectOptions = PutObjectOptions(),
        checksumAlgorithm: ChecksumAlgorithm? = nil
    ) async throws -> String {
        var headers = options.headers.filter { !$0.name.lowercased().hasPrefix("x-amz-checksum-") }
        if let checksumAlgorithm { headers.append(("x-amz-checksum-algorithm", checksumAlgorithm.rawValue)) }
        let tree = try await send(Request(method: .POST, bucket: bucket, key: key, query: [("uploads", "")], headers: headers)).xml()
        guard let uploadId = tree.text("UploadId"), !uploadId.isEmpty else {
            throw S3Error.invalidResponse("CreateMultipartUpload answered without an UploadId")
        }
        return uploadId
    }

    /// Uploads one part from memory. Parts are 5 MiB to 5 GiB (the last may be smaller),
    /// numbered 1 to 10,000. A `checksum` is verified by S3 (`BadDigest` when it does not match).
    public func uploadPart(
        bucket: String,
        key: String,
        uploadId: String,
        partNumber: Int,
        bytes: some DataProtocol & Sendable,
        checksum: Checksum? = nil
    ) async throws -> CompletedPart {
        let buffer = ByteBuffer(bytes: bytes)
        return try await uploadPart(
            bucket: bucket,
            key: key,
            uploadId: uploadId,
            partNumber: partNumber,
            body: .bytes(buffer),
            size: Int64(buffer.readableBytes),
            checksum: checksum
        )
    }

    func uploadPart(
        bucket: String,
        key: String,
        uploadId: String,
        partNumber: Int,
        body: Request.Body,
        size: Int64,
        checksum: Checksum?
    ) async throws -> CompletedPart {
        guard (1...10_000).contains(partNumber) else {
            throw S3Error.invalidArgument("part number \(partNumber) is outside 1...10000")
        }
        var headers: [(name: String, value: String)] = []
        if let checksum { headers.append((checksum.algorithm.headerName, checksum.base64)) }
        let response = try await send(
            Request(
                method: .PUT,
                bucket: bucket,
                key: key,
                query: [("partNumber", String(partNumber)), ("uploadId", uploadId)],
                headers: headers,
                body: body
            )
        )
        guard let etag = response.headers.first(name: "ETag").map(unquote) else {
            throw S3Error.invalidResponse("UploadPart \(partNumber) answered without an ETag")
        }
        return CompletedPart(partNumber: partNumber, etag: etag, size: size, checksum: checksum)
    }

    /// The parts S3 holds for an upload (ListParts, every page), by part number, each number
    /// once (the last listed): S3 lists only a part's latest upload, SeaweedFS every one.
    public func listParts(bucket: String, key: String, uploadId: String) async throws -> [CompletedPart] {
        var parts: [CompletedPart] = []
        var marker: String?
        repeat {
            var query: [(name: String, value: String)] = [("uploadId", uploadId)]
            if let marker { query.append(("part-number-marker", marker)) }
            let tree = try await send(Request(method: .GET, bucket: bucket, key: key, query: query)).xml()
            for part in tree.all("Part") {
                guard let number = part.text("PartNumber").flatMap(Int.init), let etag = part.text("ETag") else { continue }
                let checksum = ChecksumAlgorithm.allCases.lazy.compactMap { algorithm in
                    part.text(algorithm.xmlName).map { Checksum(algorithm: algorithm, base64: $0) }
                }.first
                parts.append(CompletedPart(partNumber: number, etag: unquote(etag), size: Int64(part.text("Size") ?? "") ?? 0, checksum: checksum))
            }
            marker = tree.text("IsTruncated") == "true" ? tree.text("NextPartNumberMarker") : nil
        } while marker != nil
        var latest: [Int: CompletedPart] = [:]
        for part in parts { latest[part.partNumber] = part }
        return latest.values.sorted { $0.partNumber < $1.partNumber }
    }

    /// Finishes an upload (CompleteMultipartUpload) from its parts, in part-number order.
    public func completeMultipartUpload(bucket: String, key: String, uploadId: String, parts: [CompletedPart]) async throws -> PutObjectResult {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts.sorted(by: { $0.partNumber < $1.partNumber }) {
            xml += "<Part><PartNumber>\(part.partNumber)</PartNumber><ETag>\"\(XMLWriter.escape(part.etag))\"</ETag>"
            if let checksum = part.checksum {
                xml += "<\(checksum.algorithm.xmlName)>\(checksum.base64)</\(checksum.algorithm.xmlName)>"
            }
            xml += "</Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let response = try await send(
            Request(
                method: .POST,
                bucket: bucket,
                key: key,
                query: [("uploadId", uploadId)],
                headers: [("Content-Type", "application/xml")],
                body: .bytes(ByteBuffer(string: xml)),
                errorMayArriveWith200: true
            )
        )
        return try PutObjectResult(xmlResponse: response)
    }

    /// Abandons an upload and frees its parts (AbortMultipartUpload).
    public func abortMultipartUpload(bucket: String, key: String, uploadId: String) async throws {
        _ = try await send(Request(method: .DELETE, bucket: bucket, key: key, query: [("uploadId", uploadId)]))
    }

    /// The multipart uploads in progress under a prefix (ListMultipartUploads, every page).
    public func listMultipartUploads(bucket: String, prefix: String? = nil) async throws -> [MultipartUploadInfo] {
        var uploads: [MultipartUploadInfo] = []
        var keyMarker: String?
        var uploadIdMarker: String?
        while true {
            var query: [(name: String, value: String)] = [("uploads", "")]
            if let prefix { query.append(("prefix", prefix)) }
            if let keyMarker { query.append(("key-marker", keyMarker)) }
            if let uploadIdMarker { query.append(("upload-id-marker", uploadIdMarker)) }
            let tree = try await send(Request(method: .GET, bucket: bucket, query: query)).xml()
            uploads += tree.all("Upload").compactMap { upload in
                guard let key = upload.text("Key"), let id = upload.text("UploadId") else { return nil }
                return MultipartUploadInfo(key: key, uploadId: id, initiated: upload.text("Initiated").flatMap(ISO8601.parse))
            }
            guard tree.text("IsTruncated") == "true" else { break }
            keyMarker = tree.text("NextKeyMarker")
            uploadIdMarker = tree.text("NextUploadIdMarker")
            if keyMarker == nil && uploadIdMarker == nil { break }
        }
        return uploads
    }
}
