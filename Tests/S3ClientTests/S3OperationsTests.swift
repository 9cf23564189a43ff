import Foundation
import Testing

@testable import S3Client

/// Every S3 operation against both real servers.
@Suite(.serialized) struct S3OperationsTests {
    static let awkwardKeys = [
        "plain.txt", "with space/and+plus.txt", "percent%20literal~tilde.bin", "ünïcödé/日本語.txt",
        "emoji 😀.png", "deep/a/b/c/d.txt", "(parens) & 'quotes' = $dollar;.txt",
    ]

    @Test(arguments: S3Server.allCases)
    func putGetHeadDeleteWithAwkwardKeys(server: S3Server) async throws {
        try await server.withBucket { s3, bucket in
            for (index, key) in Self.awkwardKeys.enumerated() {
                let body = Array("content \(index) of \(key)".utf8)
                let put = try await s3.putObject(
                    bucket: bucket,
                    key: key,
                    bytes: body,
                    options: PutObjectOptions(contentType: "text/plain", userMetadata: ["origin": "test"])
                )
                #expect(put.etag != nil)
                let (metadata, bytes) = try await s3.getObject(bucket: bucket, key: key)
                #expect(bytes == body, "\(key)")
                #expect(metadata.size == Int64(body.count))
                let head = try await s3.headObject(bucket: bucket, key: key)
                #expect(head.size == Int64(body.count))
                #expect(head.serverSideEncryption == .aes256, "SSE-S3 on \(key)")
                #expect(head.contentType == "text/plain")
                #expect(head.userMetadata["origin"] == "test")
            }
            let listed = try await s3.listAllObjects(bucket: bucket).collect().map(\.key)
            #expect(Set(listed) == Set(Self.awkwardKeys))

            try await s3.deleteObject(bucket: bucket, key: Self.awkwardKeys[0])
            await #expect {
                _ = try await s3.headObject(bucket: bucket, key: Self.awkwardKeys[0])
            } throws: { error in
                (error as? S3Error)?.statusCode == 404
            }
            let batch = try await s3.deleteObjects(bucket: bucket, keys: Array(Self.awkwardKeys.dropFirst()))
            #expect(batch.failures.isEmpty)
            #expect(Set(batch.deleted) == Set(Self.awkwardKeys.dropFirst()))
            let after = try await s3.listAllObjects(bucket: bucket).collect()
            #expect(after.isEmpty)
        }
    }

    @Test(arguments: S3Server.allCases)
    func missingObjectIsATypedError(server: S3Server) async throws {
        try await server.withBucket { s3, bucket in
            await #expect {
                _ = try await s3.getObject(bucket: bucket, key: "nope")
            } throws: { error in
                let error = error as? S3Error
                return error?.kind == .service && error?.code == "NoSuchKey" && error?.statusCode == 404 && error?.isRetryable == false
            }
        }
    }

    @Test(arguments: S3Server.allCases)
    func rangedGetAndStreamingToFile(server: S3Server) async throws {
        let scratch = try ScratchFolder()
        let source = try scratch.randomFile("source", size: 3 << 20, seed: 7)
        try await server.withBucket { s3, bucket in
            _ = try await s3.putObject(bucket: bucket, key: "big.bin", fileAt: source)
            let whole = try Array(Data(contentsOf: URL(fileURLWithPath: source)))
            let (metadata, part) = try await s3.getObject(bucket: bucket, key: "big.bin", range: 1000...1999)
            #expect(part == Array(whole[1000...1999]))
            #expect(metadata.size == Int64(whole.count), "Content-Range total")

            let target = scratch.path + "/downloaded"
            let checksum = ChecksumAlgorithm.sha256.checksum(of: whole)
            let downloaded = try await s3.getObject(bucket: bucket, key: "big.bin", toFile: target, verify: checksum)
            #expect(downloaded.size == Int64(whole.count))
            #expect(try sha256OfFile(target) == sha256OfFile(source))

            let tail = scratch.path + "/tail"
            try await s3.getObject(bucket: bucket, key: "big.bin", toFile: tail, range: Int64(whole.count - 10)...Int64(whole.count - 1))
            #expect(try Array(Data(contentsOf: URL(fileURLWithPath: tail))) == Array(whole.suffix(10)))

            await #expect {
                try await s3.getObject(bucket: bucket, key: "big.bin", toFile: target, verify: ChecksumAlgorithm.sha256.checksum(of: [1, 2, 3]))
            } throws: { error in
                (error as? S3Error)?.kind == .checksumMismatch
            }
        }
    }

    @Test(arguments: S3Server.allCases)
    func listingPaginatesAndGroupsByDelimiter(server: S3Server) async throws {
        try await server.withBucket { s3, bucket in
            let keys = (0..<23).map { "dir\($0 % 3)/file \($0).txt" } + ["top.txt"]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for key in keys {
                    group.addTask { _ = try await s3.putObject(bucket: bucket, key: key, bytes: Array(key.utf8)) }
                }
                try await group.waitForAll()
            }
            var pages = 0
            var token: String?
            var seen: [String] = []
            repeat {
                let page = try await s3.listObjectsV2(bucket: bucket, continuationToken: token, maxKeys: 5)
                seen += page.objects.map(\.key)
                token = page.nextContinuationToken
                pages += 1
            } while token != nil
            #expect(pages == 5)
            #expect(seen == keys.sorted())
            #expect(try await s3.listAllObjects(bucket: bucket, pageSize: 7).collect().map(\.key) == keys.sorted())

            let grouped = try await s3.listObjectsV2(bucket: bucket, delimiter: "/")
            #expect(grouped.commonPrefixes.sorted() == ["dir0/", "dir1/", "dir2/"])
            #expect(grouped.objects.map(\.key) == ["top.txt"])
            let prefixed = try await s3.listObjectsV2(bucket: bucket, prefix: "dir1/")
            #expect(prefixed.objects.count == keys.filter { $0.hasPrefix("dir1/") }.count)
        }
    }

    @Test(arguments: S3Server.allCases)
    func copyObjectKeepsBytesAndEncrypts(server: S3Server) async throws {
        try await server.withBucket { s3, bucket in
            let body = Array(repeating: UInt8(ascii: "x"), count: 100_000)
            _ = try await s3.putObject(bucket: bucket, key: "from/ä b.txt", bytes: body)
            _ = try await s3.copyObject(fromBucket: bucket, key: "from/ä b.txt", toBucket: bucket, key: "to/copy+1.txt")
            let (_, copied) = try await s3.getObject(bucket: bucket, key: "to/copy+1.txt")
            #expect(copied == body)
            #expect(try await s3.headObject(bucket: bucket, key: "to/copy+1.txt").serverSideEncryption == .aes256)
        }
    }

    @Test(arguments: S3Server.allCases)
    func presignedPutAndGet(server: S3Server) async throws {
        try await server.withBucket { s3, bucket in
            let sse = [(name: "x-amz-server-side-encryption", value: "AES256")]
            let putURL = try await s3.presignedURL(method: "PUT", bucket: bucket, key: "shared file.txt", headers: sse, expiresIn: 300)
            let body = Data("uploaded through a presigned URL".utf8)
            let put = try await RawHTTP.send("PUT", putURL, headers: ["x-amz-server-side-encryption": "AES256"], body: body)
            #expect(put.status == 200)
            #expect(try await s3.headObject(bucket: bucket, key: "shared file.txt").serverSideEncryption == .aes256)
            let getURL = try await s3.presignedURL(method: "GET", bucket: bucket, key: "shared file.txt", expiresIn: 300)
            let get = try await RawHTTP.send("GET", getURL)
            #expect(get.status == 200)
            #expect(get.body == body)
        }
    }
}
