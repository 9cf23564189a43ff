/// How ``S3Client/uploadFile(at:bucket:key:options:)`` uploads.
public struct FileUploadOptions: Sendable {
    /// Content type, encryption (SSE-S3 by default) and user metadata of the object.
    public var object: PutObjectOptions
    /// Files of at least this size go up as multipart uploads with parallel parts.
    public var multipartThreshold: Int64
    /// The preferred part size; raised when the file would otherwise need over 10,000 parts.
    public var partSize: Int64
    /// Parts in flight at once. Memory stays at about `concurrency` x 1 MiB: parts are streamed
    /// from the file, never held whole.
    public var concurrency: Int
    /// The checksum every part (or the single PUT) carries for S3 to verify.
    public var checksumAlgorithm: ChecksumAlgorithm
    /// An upload id from an earlier, interrupted attempt (see ``S3Error/uploadId``): the parts
    /// S3 already holds and that still match the file are kept, the rest are sent.
    public var resumeUploadId: String?
    /// Called after each part is stored, one part at a time, for a caller that journals
    /// progress so that a crash can resume.
    public var partCompleted: (@Sendable (_ uploadId: String, _ part: CompletedPart) async -> Void)?

    public init(
        object: PutObjectOptions = PutObjectOptions(),
        multipartThreshold: Int64 = 16 << 20,
        partSize: Int64 = 16 << 20,
        concurrency: Int = 8,
        checksumAlgorithm: ChecksumAlgorithm = .crc32c,
        resumeUploadId: String? = nil,
        partCompleted: (@Sendable (_ uploadId: String, _ part: CompletedPart) async -> Void)? = nil
    ) {
        self.object = object
        self.multipartThreshold = multipartThreshold
        self.partSize = partSize
        self.concurrency = max(1, concurrency)
        self.checksumAlgorithm = checksumAlgorithm
        self.resumeUploadId = resumeUploadId
        self.partCompleted = partCompleted
    }
}

/// What an upload did.
public struct FileUploadResult: Sendable, Equatable {
    public var etag: String?
    public var size: Int64
    /// The multipart upload id, nil for a single PUT.
    public var uploadId: String?
    /// Parts sent by this call.
    public var partsUploaded: Int
    /// Parts of a resumed upload that S3 already held and that matched the file.
    public var partsReused: Int
}

/// Part sizes for a file: no more than S3's 10,000 parts, none under 5 MiB but the last.
public struct PartLayout: Sendable, Equatable {
    public static let maxParts = 10_000
    public static let minPartSize: Int64 = 5 << 20
    public static let maxPartSize: Int64 = 5 << 30
    public static let maxObjectSize: Int64 = 5 << 40

    public let fileSize: Int64
    public let partSize: Int64

    /// Chooses the part size: the preferred one, or the smallest whole MiB that keeps the
    /// file within 10,000 parts.
    public init(fileSize: Int64, preferredPartSize: Int64) throws {
        guard fileSize <= Self.maxObjectSize else {
            throw S3Error.invalidArgument("a \(fileSize)-byte file is larger than S3's 5 TiB object limit")
        }
        let needed = (fileSize + Int64(Self.maxParts) - 1) / Int64(Self.maxParts)
        let mib: Int64 = 1 << 20
        let roundedUp = (needed + mib - 1) / mib * mib
        self.fileSize = fileSize
        self.partSize = min(Self.maxPartSize, max(Self.minPartSize, preferredPartSize, roundedUp))
    }

    public var partCount: Int {
        fileSize == 0 ? 1 : Int((fileSize + partSize - 1) / partSize)
    }

    /// The byte range of part `number` (1-based).
    public func range(ofPart number: Int) -> Range<Int64> {
        let start = Int64(number - 1) * partSize
        return start..<min(fileSize, start + partSize)
    }
}
