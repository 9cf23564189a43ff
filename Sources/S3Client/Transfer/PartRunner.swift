import Concurrently

/// The one loop under every multipart upload (``S3Client/uploadFile(at:bucket:key:options:)``,
/// and the daemon's uploads through presigned URLs): the parts of a file not finished yet, a
/// few at a time, each checksummed from the file as it is sent; a part S3 already holds is kept
/// when it still has the file's bytes. How a part's bytes travel is the caller's `send`.
public struct PartRunner: Sendable {
    public let layout: PartLayout
    /// The checksum each part carries for S3 to verify.
    public let algorithm: ChecksumAlgorithm
    /// Parts in flight at once.
    public let concurrency: Int

    public init(layout: PartLayout, algorithm: ChecksumAlgorithm, concurrency: Int) {
        self.layout = layout
        self.algorithm = algorithm
        self.concurrency = max(1, concurrency)
    }

    /// What a run did.
    public struct Outcome: Sendable {
        /// Every part finished (known, kept or sent), by part number.
        public var parts: [CompletedPart]
        /// Parts this run sent.
        public var sent: Int
        /// Parts S3 held that matched the file and were kept.
        public var kept: Int
        /// The first failure; the parts after it were not started. Nil when every part is done.
        public var failure: (any Error)?

        /// Whether every part of the layout is in `parts`.
        public var isComplete: Bool { failure == nil }
    }

    /// Sends the parts of the file at `path` that `known` does not have.
    /// - Parameters:
    ///   - known: parts finished earlier and recorded by the caller (a journal): trusted as they are.
    ///   - held: parts S3 holds from an earlier attempt (a part listing): each is kept only if
    ///     its checksum, or its ETag when that is the part's MD5, is the file's bytes there now.
    ///   - checksums: the checksums of parts' bytes known already (the scan hashed the file),
    ///     used instead of reading each part twice. S3 verifies the checksum a part carries, so
    ///     one that is not the bytes sent fails that part; it never stores other bytes.
    ///   - send: sends part `number` (the bytes of `range`, with `checksum`) and answers what S3 stored.
    ///   - finished: told of each part kept or sent, on the calling task, as it finishes (to
    ///     journal it); an error it throws stops the run like a failed part.
    public func run(
        path: String,
        known: [Int: CompletedPart] = [:],
        held: [Int: CompletedPart] = [:],
        checksums: [Int: Checksum] = [:],
        send: @escaping @Sendable (_ number: Int, _ range: Range<Int64>, _ checksum: Checksum) async throws -> CompletedPart,
        finished: (CompletedPart, _ kept: Bool) async throws -> Void = { _, _ in }
    ) async -> Outcome {
        do {
            return await run(file: try ReadableFile(path: path), known: known, held: held, checksums: checksums, send: send, finished: finished)
        } catch {
            let parts = known.values.filter { (1...layout.partCount).contains($0.partNumber) }.sorted { $0.partNumber < $1.partNumber }
            return Outcome(parts: parts, sent: 0, kept: 0, failure: error)
        }
    }

    /// The same over a file already open (the one whose bytes `send` reads).
    func run(
        file: ReadableFile,
        known: [Int: CompletedPart] = [:],
        held: [Int: CompletedPart] = [:],
        checksums: [Int: Checksum] = [:],
        send: @escaping @Sendable (_ number: Int, _ range: Range<Int64>, _ checksum: Checksum) async throws -> CompletedPart,
        finished: (CompletedPart, _ kept: Bool) async throws -> Void
    ) async -> Outcome {
        var outcome = Outcome(parts: [], sent: 0, kept: 0, failure: nil)
        let (layout, algorithm) = (layout, algorithm)
        var done = known.filter { (1...layout.partCount).contains($0.key) }
        let missing = (1...layout.partCount).filter { done[$0] == nil }
        await Concurrently.forEach(missing, width: concurrency) { number -> Result<(CompletedPart, kept: Bool), any Error> in
            do {
                let range = layout.range(ofPart: number)
                let checksum: Checksum
                if let given = checksums[number], given.algorithm == algorithm {
                    checksum = given
                } else {
                    checksum = try await file.checksum(algorithm, range: range)
                }
                if let candidate = held[number], try await Self.matches(candidate, file: file, range: range, checksum: checksum) {
                    var part = candidate
                    part.checksum = checksum
                    return .success((part, true))
                }
                return .success((try await send(number, range, checksum), false))
            } catch {
                return .failure(error)
            }
        } each: { _, result in
            do {
                let (part, kept) = try result.get()
                try await finished(part, kept)
                done[part.partNumber] = part
                if kept { outcome.kept += 1 } else { outcome.sent += 1 }
            } catch {
                if outcome.failure == nil { outcome.failure = error }
            }
            return outcome.failure == nil && !Task.isCancelled
        }
        outcome.parts = done.values.sorted { $0.partNumber < $1.partNumber }
        if outcome.failure == nil && outcome.parts.count < layout.partCount { outcome.failure = CancellationError() }
        return outcome
    }

    /// Whether a part S3 already holds has the file's current bytes: by the checksum S3
    /// verified, else by its ETag when that is the part's MD5 (as S3 makes it for SSE-S3).
    /// Anything else is sent again rather than trusted.
    static func matches(_ held: CompletedPart, file: ReadableFile, range: Range<Int64>, checksum: Checksum) async throws -> Bool {
        guard held.size == Int64(range.count) else { return false }
        if let stored = held.checksum { return stored == checksum }
        guard let etagMD5 = Hex.decode(held.etag), etagMD5.count == 16 else { return false }
        return try await file.md5(range: range) == etagMD5
    }
}
