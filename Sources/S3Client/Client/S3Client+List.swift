import NIOCore
import NIOHTTP1

extension S3Client {
    /// One page of ListObjectsV2 (up to `maxKeys`, at most 1,000).
    public func listObjectsV2(
        bucket: String,
        prefix: String? = nil,
        delimiter: String? = nil,
        startAfter: String? = nil,
        continuationToken: String? = nil,
        maxKeys: Int? = nil
    ) async throws -> ListObjectsPage {
        var query: [(name: String, value: String)] = [("list-type", "2")]
        if let prefix { query.append(("prefix", prefix)) }
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let startAfter { query.append(("start-after", startAfter)) }
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        if let maxKeys { query.append(("max-keys", String(maxKeys))) }
        // encoding-type=url makes S3 percent-encode keys in the XML, so that keys holding
        // characters XML 1.0 cannot carry come back intact.
        query.append(("encoding-type", "url"))
        let tree = try await send(Request(method: .GET, bucket: bucket, query: query)).xml()
        let encoded = tree.text("EncodingType") == "url"
        let decode: (String) -> String = { encoded ? (Self.urlDecode($0) ?? $0) : $0 }
        return ListObjectsPage(
            objects: tree.all("Contents").map { item in
                ListedObject(
                    key: decode(item.text("Key") ?? ""),
                    size: Int64(item.text("Size") ?? "") ?? 0,
                    etag: item.text("ETag").map(unquote),
                    lastModified: item.text("LastModified").flatMap(ISO8601.parse),
                    storageClass: item.text("StorageClass")
                )
            },
            commonPrefixes: tree.all("CommonPrefixes").compactMap { $0.text("Prefix").map(decode) },
            nextContinuationToken: tree.text("NextContinuationToken"),
            isTruncated: tree.text("IsTruncated") == "true"
        )
    }

    /// Every object under a prefix, page after page, as an async sequence.
    public func listAllObjects(bucket: String, prefix: String? = nil, pageSize: Int? = nil) -> ObjectListing {
        ObjectListing(client: self, bucket: bucket, prefix: prefix, pageSize: pageSize)
    }

    /// Decodes `%XY` escapes (S3's `encoding-type=url` also turns spaces into `+`).
    static func urlDecode(_ string: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = string.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next(), let low = iterator.next(),
                    let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(value)
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

/// The objects under a prefix, fetched lazily one ListObjectsV2 page at a time.
public struct ObjectListing: AsyncSequence, Sendable {
    public typealias Element = ListedObject
    let client: S3Client
    let bucket: String
    let prefix: String?
    let pageSize: Int?

    public struct AsyncIterator: AsyncIteratorProtocol {
        let listing: ObjectListing
        var buffer: [ListedObject] = []
        var token: String?
        var finished = false

        public mutating func next() async throws -> ListedObject? {
            while buffer.isEmpty {
                if finished { return nil }
                let page = try await listing.client.listObjectsV2(
                    bucket: listing.bucket,
                    prefix: listing.prefix,
                    continuationToken: token,
                    maxKeys: listing.pageSize
                )
                buffer = page.objects.reversed()
                token = page.nextContinuationToken
                finished = !page.isTruncated || token == nil
            }
            return buffer.popLast()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(listing: self)
    }

    /// Every object, all pages read.
    public func collect() async throws -> [ListedObject] {
        var objects: [ListedObject] = []
        for try await object in self { objects.append(object) }
        return objects
    }
}
