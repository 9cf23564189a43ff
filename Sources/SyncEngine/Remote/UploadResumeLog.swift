public import Foundation

/// Where a remote keeps the uploads it has in progress, so that a restart resumes them instead
/// of starting over: the engine's journal (``Journal``). What a session and its parts mean is
/// the remote's; the journal only keeps them.
public protocol UploadResumeLog: Sendable {
    /// The session of the upload of `path`, with its finished parts.
    func uploadSession(for path: RelativePath) throws -> UploadSession?
    /// Starts (or replaces) the session of an upload.
    func beginUpload(_ session: UploadSession) throws
    /// Adds a finished part to the session of `path`.
    func recordPart(_ part: UploadedPart, of path: RelativePath) throws
    /// Drops the session of `path`: the upload finished, or cannot be continued.
    func forgetUpload(_ path: RelativePath) throws
}

/// A multipart upload in progress, kept so that a restart resumes it instead of starting over.
public struct UploadSession: Sendable, Equatable {
    public var path: RelativePath
    public var uploadId: String
    /// The file as it was when the upload began; a file changed since is uploaded anew.
    public var size: Int64
    public var mtimeNs: Int64
    public var inode: UInt64
    public var contentHash: String
    public var parts: [UploadedPart]
    public var startedAt: Date
    /// The part size of the multipart upload (every part but the last).
    public var partSize: Int64

    public init(
        path: RelativePath,
        uploadId: String,
        size: Int64,
        mtimeNs: Int64,
        inode: UInt64,
        contentHash: String,
        parts: [UploadedPart] = [],
        startedAt: Date,
        partSize: Int64 = 0
    ) {
        self.partSize = partSize
        self.path = path
        self.uploadId = uploadId
        self.size = size
        self.mtimeNs = mtimeNs
        self.inode = inode
        self.contentHash = contentHash
        self.parts = parts
        self.startedAt = startedAt
    }
}

/// A part of an upload in progress that the storage holds, as the remote that sent it
/// described it.
public struct UploadedPart: Sendable, Hashable, Codable {
    public var partNumber: Int
    public var etag: String
    /// Bytes in the part.
    public var size: Int64
    /// The checksum the storage verified, `algorithm:base64` (as S3's `x-amz-checksum-*`).
    public var checksum: String?

    public init(partNumber: Int, etag: String, size: Int64, checksum: String? = nil) {
        self.partNumber = partNumber
        self.etag = etag
        self.size = size
        self.checksum = checksum
    }
}
