import ArgumentParser
import AsyncHTTPClient
import Foundation
import S3Client

/// Uploads (or downloads) one file with S3Client, for `scripts/bench-upload` to time beside the
/// aws CLI and rclone. Keys come from the usual AWS environment variables or files.
@main
struct S3Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "s3-bench",
        abstract: "Upload a file to S3 with S3Client's high-level uploader and report the time."
    )

    @Option(help: "S3 endpoint, e.g. http://127.0.0.1:8333.") var endpoint: String
    @Option(help: "Bucket (created if missing).") var bucket: String
    @Option(help: "Object key.") var key: String
    @Option(help: "File to upload.") var file: String
    @Option(help: "Part size in MiB.") var partSizeMiB: Int = 16
    @Option(help: "Parts in flight.") var concurrency: Int = 8
    @Option(help: "Part checksum: crc32c or sha256.") var checksum: String = "crc32c"

    func run() async throws {
        guard let algorithm = ChecksumAlgorithm(rawValue: checksum.uppercased()) else {
            throw ValidationError("--checksum must be crc32c or sha256")
        }
        var http = HTTPClient.Configuration()
        http.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, concurrency)
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
        let s3 = S3Client(
            configuration: S3Configuration(endpoint: endpoint),
            credentialProvider: CredentialProviderChain.default(httpClient: httpClient),
            httpClient: httpClient
        )
        do {
            try await s3.createBucket(bucket)
            let started = ContinuousClock.now
            let result = try await s3.uploadFile(
                at: file,
                bucket: bucket,
                key: key,
                options: FileUploadOptions(partSize: Int64(partSizeMiB) << 20, concurrency: concurrency, checksumAlgorithm: algorithm)
            )
            let elapsed = ContinuousClock.now - started
            let head = try await s3.headObject(bucket: bucket, key: key)
            guard head.size == result.size else {
                throw ValidationError("uploaded \(result.size) bytes but S3 holds \(head.size)")
            }
            print("uploaded \(result.size) bytes in \(elapsed), \(result.partsUploaded) parts, SSE \(head.serverSideEncryption?.rawValue ?? "none")")
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
        try await httpClient.shutdown()
    }
}
