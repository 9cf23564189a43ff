public import Foundation

/// Server-side encryption S3 applies to an object.
public enum ServerSideEncryption: String, Sendable {
    /// SSE-S3: S3-managed keys (`x-amz-server-side-encryption: AES256`).
    case aes256 = "AES256"
    /// SSE-KMS with the bucket's or account's default key.
    case kms = "aws:kms"
}

/// What HEAD (or GET) says about an object.
public struct ObjectMetadata: Sendable, Equatable {
    /// Size in bytes (of the whole object, also for ranged GETs).
    public var size: Int64
    /// The ETag without quotes.
    public var etag: String?
    public var lastModified: Date?
    public var contentType: String?
    public var serverSideEncryption: ServerSideEncryption?
    /// `x-amz-checksum-*` values S3 returned (HEAD returns them with `x-amz-checksum-mode: ENABLED`).
    public var checksums: [Checksum]
    /// User metadata (`x-amz-meta-*`), names without the prefix, lower-cased.
    public var userMetadata: [String: String]
    public var versionId: String?
}

/// Options for writing an object.
public struct PutObjectOptions: Sendable {
    public var contentType: String?
    /// SSE-S3 unless set otherwise: every object syncd writes is encrypted at rest.
    public var serverSideEncryption: ServerSideEncryption?
    /// A checksum S3 verifies before it stores the object (a mismatch is `BadDigest`).
    public var checksum: Checksum?
    /// User metadata (`x-amz-meta-NAME`).
    public var userMetadata: [String: String]
    /// Write only if no object has the key (`If-None-Match: *`).
    public var ifNoneMatch: Bool

    public init(
        contentType: String? = nil,
        serverSideEncryption: ServerSideEncryption? = .aes256,
        checksum: Checksum? = nil,
        userMetadata: [String: String] = [:],
        ifNoneMatch: Bool = false
    ) {
        self.contentType = contentType
        self.serverSideEncryption = serverSideEncryption
        self.checksum = checksum
        self.userMetadata = userMetadata
        self.ifNoneMatch = ifNoneMatch
    }

    var headers: [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        if let contentType { headers.append(("Content-Type", contentType)) }
        if let serverSideEncryption { headers.append(("x-amz-server-side-encryption", serverSideEncryption.rawValue)) }
        if let checksum { headers.append((checksum.algorithm.headerName, checksum.base64)) }
        for (name, value) in userMetadata.sorted(by: { $0.key < $1.key }) {
            headers.append(("x-amz-meta-\(name.lowercased())", value))
        }
        if ifNoneMatch { headers.append(("If-None-Match", "*")) }
        return headers
    }
}

/// What S3 says after a write.
public struct PutObjectResult: Sendable, Equatable {
    public var etag: String?
    public var versionId: String?
    public var serverSideEncryption: ServerSideEncryption?
    public var checksum: Checksum?
}

/// One entry of a listing.
public struct ListedObject: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var etag: String?
    public var lastModified: Date?
    public var storageClass: String?
}

/// One page of ListObjectsV2.
public struct ListObjectsPage: Sendable, Equatable {
    public var objects: [ListedObject]
    /// Key prefixes rolled up by the delimiter ("folders").
    public var commonPrefixes: [String]
    /// Pass back to get the next page; nil on the last page.
    public var nextContinuationToken: String?
    public var isTruncated: Bool
}

/// The outcome of a DeleteObjects batch.
public struct DeleteObjectsResult: Sendable, Equatable {
    public struct Failure: Sendable, Equatable {
        public var key: String
        public var code: String
        public var message: String
    }

    public var deleted: [String]
    public var failures: [Failure]
}

extension ObjectMetadata {
    init(headers: some Sequence<(name: String, value: String)>) {
        var metadata = ObjectMetadata(size: 0, checksums: [], userMetadata: [:])
        for (name, value) in headers {
            let lower = name.lowercased()
            switch lower {
            case "content-length": metadata.size = Int64(value) ?? 0
            case "etag": metadata.etag = unquote(value)
            case "last-modified": metadata.lastModified = HTTPDate.parse(value)
            case "content-type": metadata.contentType = value
            case "x-amz-server-side-encryption": metadata.serverSideEncryption = ServerSideEncryption(rawValue: value)
            case "x-amz-version-id": metadata.versionId = value
            default:
                if lower.hasPrefix("x-amz-meta-") {
                    metadata.userMetadata[String(lower.dropFirst("x-amz-meta-".count))] = value
                } else if lower.hasPrefix("x-amz-checksum-"),
                    let algorithm = ChecksumAlgorithm.allCases.first(where: { $0.headerName == lower })
                {
                    metadata.checksums.append(Checksum(algorithm: algorithm, base64: value))
                }
            }
        }
        // A Content-Range total wins over Content-Length, whatever the header order.
        if let range = headers.first(where: { $0.name.lowercased() == "content-range" })?.value,
            let slash = range.lastIndex(of: "/"), let total = Int64(range[range.index(after: slash)...])
        {
            metadata.size = total
        }
        self = metadata
    }
}

/// Removes the quotes S3 puts around ETags.
func unquote(_ value: String) -> String {
    value.count >= 2 && value.hasPrefix("\"") && value.hasSuffix("\"") ? String(value.dropFirst().dropLast()) : value
}

/// RFC 7231 IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), as in `Last-Modified`.
enum HTTPDate {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func parse(_ value: String) -> Date? {
        let fields = value.split(separator: " ")
        guard fields.count == 6, let day = Int(fields[1]), let monthIndex = months.firstIndex(of: String(fields[2])),
            let year = Int(fields[3])
        else { return ISO8601.parse(value) }
        let time = fields[4].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3 else { return nil }
        var components = DateComponents()
        components.calendar = Calendar(identifier: .gregorian)
        components.timeZone = TimeZone(identifier: "UTC")
        (components.year, components.month, components.day) = (year, monthIndex + 1, day)
        (components.hour, components.minute, components.second) = (time[0], time[1], time[2])
        return components.date
    }
}

enum ISO8601 {
    /// `2013-09-17T18:07:53.000Z`, with or without fractional seconds.
    static func parse(_ value: String) -> Date? {
        (try? Date(value, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(value, strategy: .iso8601))
    }
}
