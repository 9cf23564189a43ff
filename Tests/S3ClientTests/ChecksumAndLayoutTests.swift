import Foundation
import NIOHTTP1
import Testing

@testable import S3Client

@Suite struct ChecksumAndLayoutTests {
    @Test func crc32cCheckValue() {
        // The CRC catalogue's check value for CRC-32/ISCSI over "123456789" is 0xE3069283.
        #expect(ChecksumAlgorithm.crc32c.checksum(of: Array("123456789".utf8)).base64 == Data([0xE3, 0x06, 0x92, 0x83]).base64EncodedString())
        #expect(ChecksumAlgorithm.crc32c.checksum(of: [UInt8]()).base64 == "AAAAAA==")
    }

    @Test func crc32cIsTheSameInPiecesAsWhole() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<100_003).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var hasher = ChecksumHasher(.crc32c)
        var offset = 0
        for size in [1, 7, 8, 9, 4096, 65_537] + Array(repeating: 10_000, count: 3) {
            let end = min(bytes.count, offset + size)
            bytes[offset..<end].withUnsafeBytes { hasher.update($0) }
            offset = end
        }
        bytes[offset...].withUnsafeBytes { hasher.update($0) }
        #expect(hasher.finalize() == ChecksumAlgorithm.crc32c.checksum(of: bytes))
    }

    @Test func sha256KnownValue() {
        // SHA-256("abc") from FIPS 180-2.
        let expected = Hex.decode("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")!
        #expect(ChecksumAlgorithm.sha256.checksum(of: Array("abc".utf8)).base64 == Data(expected).base64EncodedString())
    }

    @Test(arguments: [Int64(0), Int64(1), Int64(5 << 20), Int64(16 << 20), Int64((16 << 20) + 1), Int64(1 << 30), Int64(200 << 30), Int64(5 << 40)])
    func partLayoutCoversTheFileWithinS3Limits(size: Int64) throws {
        let layout = try PartLayout(fileSize: size, preferredPartSize: 16 << 20)
        #expect(layout.partCount <= PartLayout.maxParts)
        #expect(layout.partSize >= PartLayout.minPartSize && layout.partSize <= PartLayout.maxPartSize)
        #expect(layout.range(ofPart: 1).lowerBound == 0)
        #expect(layout.range(ofPart: layout.partCount).upperBound == size)
        if layout.partCount > 1 {
            #expect(layout.range(ofPart: 2).lowerBound == layout.range(ofPart: 1).upperBound)
        }
    }

    @Test func tooLargeForS3IsRefused() {
        #expect(throws: S3Error.self) { try PartLayout(fileSize: (5 << 40) + 1, preferredPartSize: 16 << 20) }
    }

    @Test func retryDelaysGrowAndAreCapped() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(100), maxDelay: .seconds(2))
        #expect(policy.delayCeiling(retry: 0) == .milliseconds(100))
        #expect(policy.delayCeiling(retry: 3) == .milliseconds(800))
        #expect(policy.delayCeiling(retry: 9) == .seconds(2))
    }

    @Test func retryableErrorsAreThoseThatCanSucceedLater() {
        func service(_ status: Int, _ code: String?) -> S3Error { S3Error(kind: .service, message: "", code: code, statusCode: status) }
        #expect(service(503, "SlowDown").isRetryable)
        #expect(service(500, "InternalError").isRetryable)
        #expect(service(429, nil).isRetryable)
        #expect(service(400, "RequestTimeout").isRetryable)
        #expect(!service(403, "SignatureDoesNotMatch").isRetryable)
        #expect(!service(404, "NoSuchKey").isRetryable)
        #expect(!service(400, "BadDigest").isRetryable)
        #expect(S3Error.transport(CancellationError()).isRetryable)
    }

    @Test func addressingStyles() {
        let path = S3Client(
            configuration: S3Configuration(endpoint: "http://127.0.0.1:8333/"),
            credentialProvider: StaticCredentialProvider(accessKeyId: "a", secretAccessKey: "b")
        )
        let request = path.sigV4Request(.init(method: .GET, bucket: "bkt", key: "a b/c+d"))
        #expect(request.url == "http://127.0.0.1:8333/bkt/a%20b/c%2Bd")
        let virtual = S3Client(
            configuration: .aws(region: "eu-west-1"),
            credentialProvider: StaticCredentialProvider(accessKeyId: "a", secretAccessKey: "b")
        )
        #expect(virtual.sigV4Request(.init(method: .GET, bucket: "bkt", key: "k")).url == "https://bkt.s3.eu-west-1.amazonaws.com/k")
        let v6 = S3Client(
            configuration: S3Configuration(endpoint: "http://[::1]:9000"),
            credentialProvider: StaticCredentialProvider(accessKeyId: "a", secretAccessKey: "b")
        )
        #expect(v6.sigV4Request(.init(method: .GET, bucket: "bkt", key: "k")).url == "http://[::1]:9000/bkt/k")
    }
}
