public import Foundation
import NIOHTTP1

extension S3Client {
    /// A presigned URL for one request on an object: whoever holds it may make exactly that
    /// request until it expires, without any keys.
    ///
    /// `headers` are signed in: the holder must send them with these values (use it to impose
    /// `x-amz-server-side-encryption: AES256` or a checksum on an upload). `query` adds
    /// operation parameters (`partNumber` and `uploadId` for a part upload).
    public func presignedURL(
        method: String,
        bucket: String,
        key: String,
        query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [],
        expiresIn seconds: Int,
        date: Date = Date()
    ) async throws -> String {
        let credentials = try await credentialProvider.credentials()
        let signer = SigV4Signer(credentials: credentials, region: configuration.region)
        let request = sigV4Request(Request(method: HTTPMethod(rawValue: method), bucket: bucket, key: key, query: query, headers: headers))
        return signer.presignedURL(request, expires: seconds, date: date)
    }
}
