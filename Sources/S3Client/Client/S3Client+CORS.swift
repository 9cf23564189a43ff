import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// One rule of a bucket's CORS configuration (PutBucketCors).
public struct CORSRule: Sendable, Equatable {
    public var allowedOrigins: [String]
    public var allowedMethods: [String]
    public var allowedHeaders: [String]
    /// Response headers a browser script may read (ETag, for multipart uploads).
    public var exposeHeaders: [String]
    public var maxAgeSeconds: Int

    public init(
        allowedOrigins: [String],
        allowedMethods: [String],
        allowedHeaders: [String] = ["*"],
        exposeHeaders: [String] = [],
        maxAgeSeconds: Int = 3000
    ) {
        self.allowedOrigins = allowedOrigins
        self.allowedMethods = allowedMethods
        self.allowedHeaders = allowedHeaders
        self.exposeHeaders = exposeHeaders
        self.maxAgeSeconds = maxAgeSeconds
    }
}

extension S3Client {
    /// The origin (`scheme://host[:port]`) browsers see for the bucket's presigned URLs: what a
    /// page's Content-Security-Policy must allow to reach them.
    public func origin(bucket: String) -> String {
        let request = sigV4Request(Request(method: .GET, bucket: bucket))
        return "\(request.scheme)://\(request.host)" + (request.port.map { ":\($0)" } ?? "")
    }

    /// Replaces the bucket's CORS configuration (PutBucketCors). S3 requires the body's
    /// Content-MD5.
    public func putBucketCORS(bucket: String, rules: [CORSRule]) async throws {
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        var xml = "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for rule in rules {
            xml += "<CORSRule>"
            xml += rule.allowedOrigins.map { "<AllowedOrigin>\(escape($0))</AllowedOrigin>" }.joined()
            xml += rule.allowedMethods.map { "<AllowedMethod>\(escape($0))</AllowedMethod>" }.joined()
            xml += rule.allowedHeaders.map { "<AllowedHeader>\(escape($0))</AllowedHeader>" }.joined()
            xml += rule.exposeHeaders.map { "<ExposeHeader>\(escape($0))</ExposeHeader>" }.joined()
            xml += "<MaxAgeSeconds>\(rule.maxAgeSeconds)</MaxAgeSeconds></CORSRule>"
        }
        xml += "</CORSConfiguration>"
        let body = Data(xml.utf8)
        let md5 = Data(Insecure.MD5.hash(data: body)).base64EncodedString()
        _ = try await send(
            Request(
                method: .PUT,
                bucket: bucket,
                query: [("cors", "")],
                headers: [("Content-Type", "application/xml"), ("Content-MD5", md5)],
                body: .bytes(ByteBuffer(bytes: body))
            )
        )
    }
}
