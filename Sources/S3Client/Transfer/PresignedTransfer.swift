public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Moves bytes through presigned URLs, the way a client without S3 credentials does (the
/// daemon: the server signs, the bytes go straight to S3). Bodies stream from and to files;
/// transport failures, 5xx and throttling are retried with the same backoff as ``S3Client``.
public struct PresignedTransfer: Sendable {
    let http: HTTPClient
    let retry: RetryPolicy
    let timeout: Duration
    /// Shared caps on the rate of all uploads and all downloads (nil: as fast as it goes).
    let uploadLimiter: BandwidthLimiter?
    let downloadLimiter: BandwidthLimiter?

    public init(
        http: HTTPClient = .shared,
        retry: RetryPolicy = RetryPolicy(),
        timeout: Duration = .seconds(300),
        uploadLimiter: BandwidthLimiter? = nil,
        downloadLimiter: BandwidthLimiter? = nil
    ) {
        self.http = http
        self.retry = retry
        self.timeout = timeout
        self.uploadLimiter = uploadLimiter
        self.downloadLimiter = downloadLimiter
    }

    /// Called with the number of bytes moved since the last call; a retry reports negative
    /// bytes to take back what the failed attempt counted.
    public typealias Progress = @Sendable (Int64) -> Void

    /// PUTs `range` of the file at `path` (the whole file when nil) to a presigned URL with
    /// exactly the headers that were signed. Returns the ETag S3 answered with.
    @discardableResult
    public func put(
        url: String,
        headers: [String: String],
        file path: String,
        range: Range<Int64>? = nil,
        progress: Progress? = nil
    ) async throws -> String {
        let file = try ReadableFile(path: path)
        let range = range ?? 0..<file.size
        guard range.upperBound <= file.size else {
            throw S3Error.fileIO("\(path) is shorter (\(file.size) bytes) than the range to send (\(range))")
        }
        return try await withRetries { sent in
            var request = HTTPClientRequest(url: url)
            request.method = .PUT
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            // Chunks of 64 KiB under a rate cap, so that the cap is kept smoothly.
            let chunk = uploadLimiter == nil ? 1 << 20 : 64 << 10
            let slice = CountingSlice(
                slice: FileSlice(file: file, range: range, chunkSize: chunk),
                limiter: uploadLimiter,
                progress: { bytes in
                    sent.add(bytes)
                    progress?(bytes)
                }
            )
            request.body = .stream(slice, length: .known(Int64(range.count)))
            let response = try await execute(request)
            guard (200..<300).contains(response.status.code) else { throw await S3Client.serviceError(response, method: .PUT) }
            _ = try? await response.body.collect(upTo: 1 << 20)
            return response.headers.first(name: "ETag") ?? ""
        } undo: { sent in
            progress?(-sent)
        }
    }

    /// GETs a presigned URL into the file at `path` (created or truncated). With `sha256`
    /// (lower-case hex), the bytes written must hash to it.
    public func get(url: String, toFile path: String, sha256: String? = nil, progress: Progress? = nil) async throws {
        try await withRetries { received in
            let response = try await execute(HTTPClientRequest(url: url))
            guard (200..<300).contains(response.status.code) else { throw await S3Client.serviceError(response, method: .GET) }
            let writer = try WritableFile(path: path)
            var hasher = sha256.map { _ in ChecksumHasher(.sha256) }
            do {
                for try await chunk in response.body {
                    try await downloadLimiter?.take(chunk.readableBytes)
                    chunk.withUnsafeReadableBytes { hasher?.update($0) }
                    try await writer.write(chunk)
                    received.add(Int64(chunk.readableBytes))
                    progress?(Int64(chunk.readableBytes))
                }
            } catch let error as S3Error {
                throw error
            } catch {
                throw S3Error.transport(error)
            }
            try await writer.finish()
            if let sha256, let digest = hasher?.finalize(), let bytes = Data(base64Encoded: digest.base64), Hex.encode(bytes) != sha256 {
                throw S3Error(kind: .checksumMismatch, message: "\(path): downloaded bytes have SHA-256 \(Hex.encode(bytes)), expected \(sha256)")
            }
        } undo: { received in
            progress?(-received)
        }
    }

    /// Whether a part S3 holds (from a part listing) has the bytes of `range` of the file now:
    /// by the checksum S3 verified, else by its ETag when that is the part's MD5. A part that
    /// cannot be checked does not match.
    public static func partMatches(
        _ held: CompletedPart,
        file path: String,
        range: Range<Int64>,
        algorithm: ChecksumAlgorithm = .crc32c
    ) async throws -> Bool {
        let file = try ReadableFile(path: path)
        let checksum = try await file.checksum(held.checksum?.algorithm ?? algorithm, range: range)
        return try await PartRunner.matches(held, file: file, range: range, checksum: checksum)
    }

    /// The checksum of a range of a file (CRC32C for parts, as S3 verifies them).
    public static func checksum(_ algorithm: ChecksumAlgorithm, file path: String, range: Range<Int64>) async throws -> Checksum {
        try await ReadableFile(path: path).checksum(algorithm, range: range)
    }

    /// Runs `attempt` until it succeeds or fails for good; `undo` takes back the progress a
    /// failed attempt reported before the next one starts.
    private func withRetries<T: Sendable>(
        _ attempt: (ByteCounter) async throws -> T,
        undo: (Int64) -> Void
    ) async throws -> T {
        var generator = SystemRandomNumberGenerator()
        var retries = 0
        while true {
            let counter = ByteCounter()
            do {
                return try await attempt(counter)
            } catch let error as S3Error where error.isRetryable && retries + 1 < retry.maxAttempts {
                undo(counter.value)
                try Task.checkCancellation()
                try await Task.sleep(for: retry.delay(retry: retries, using: &generator))
                retries += 1
            } catch {
                undo(counter.value)
                throw error
            }
        }
    }

    private func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        do {
            return try await http.execute(request, timeout: .init(timeout))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw S3Error.transport(error)
        }
    }
}

/// Bytes moved by one attempt, counted from the body stream's tasks.
final class ByteCounter: Sendable {
    private let total = Atomic<Int64>(0)
    var value: Int64 { total.load(ordering: .relaxed) }
    func add(_ bytes: Int64) { total.add(bytes, ordering: .relaxed) }
}

/// A file slice that reports each chunk as it is handed to the connection.
struct CountingSlice: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let slice: FileSlice
    let limiter: BandwidthLimiter?
    let progress: @Sendable (Int64) -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        var inner: FileSlice.AsyncIterator
        let limiter: BandwidthLimiter?
        let progress: @Sendable (Int64) -> Void
        mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await inner.next() else { return nil }
            try await limiter?.take(chunk.readableBytes)
            progress(Int64(chunk.readableBytes))
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(inner: slice.makeAsyncIterator(), limiter: limiter, progress: progress)
    }
}
