import Foundation
import Testing

@testable import S3Client

/// What a signature-verifying server refuses. SeaweedFS verifies SigV4; moto (by default) does
/// not, so these run against SeaweedFS.
@Suite(.serialized) struct SeaweedSecurityTests {
    @Test func wrongSecretIsRejectedAndNotRetried() async throws {
        try await S3Server.seaweed.withBucket { _, bucket in
            let impostor = try S3Server.seaweed.client(secretKey: "not-the-secret")
            await #expect {
                _ = try await impostor.putObject(bucket: bucket, key: "x.txt", bytes: Array("x".utf8))
            } throws: { error in
                let error = error as? S3Error
                return error?.code == "SignatureDoesNotMatch" && error?.statusCode == 403 && error?.isRetryable == false
            }
        }
    }

    @Test func expiredPresignedURLIsRejected() async throws {
        try await S3Server.seaweed.withBucket { s3, bucket in
            _ = try await s3.putObject(bucket: bucket, key: "doc.txt", bytes: Array("secret".utf8))
            let expired = try await s3.presignedURL(
                method: "GET",
                bucket: bucket,
                key: "doc.txt",
                expiresIn: 60,
                date: Date().addingTimeInterval(-120)
            )
            #expect(try await RawHTTP.send("GET", expired).status == 403)
            let fresh = try await s3.presignedURL(method: "GET", bucket: bucket, key: "doc.txt", expiresIn: 60)
            #expect(try await RawHTTP.send("GET", fresh).status == 200)
        }
    }

    @Test func tamperedPresignedURLIsRejected() async throws {
        try await S3Server.seaweed.withBucket { s3, bucket in
            _ = try await s3.putObject(bucket: bucket, key: "a.txt", bytes: Array("a".utf8))
            _ = try await s3.putObject(bucket: bucket, key: "b.txt", bytes: Array("b".utf8))
            let url = try await s3.presignedURL(method: "GET", bucket: bucket, key: "a.txt", expiresIn: 300)
            let otherKey = url.replacingOccurrences(of: "/a.txt?", with: "/b.txt?")
            #expect(otherKey != url)
            #expect(try await RawHTTP.send("GET", otherKey).status == 403)
            let longer = url.replacingOccurrences(of: "X-Amz-Expires=300", with: "X-Amz-Expires=604800")
            #expect(try await RawHTTP.send("GET", longer).status == 403)
        }
    }

    @Test func presignedPutRequiresItsSignedHeaders() async throws {
        try await S3Server.seaweed.withBucket { s3, bucket in
            let url = try await s3.presignedURL(
                method: "PUT",
                bucket: bucket,
                key: "enc.txt",
                headers: [("x-amz-server-side-encryption", "AES256")],
                expiresIn: 300
            )
            let withoutHeader = try await RawHTTP.send("PUT", url, body: Data("x".utf8))
            #expect(withoutHeader.status == 403)
            let withHeader = try await RawHTTP.send("PUT", url, headers: ["x-amz-server-side-encryption": "AES256"], body: Data("x".utf8))
            #expect(withHeader.status == 200)
        }
    }
}
