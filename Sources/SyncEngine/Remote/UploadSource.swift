import SyncAPI

/// A file on its way up, as the engine hands it to ``RemotePort/upload(_:baseRevision:)``: the
/// entry the scan recorded, a name to read it by, and what it was as the upload began (made by
/// ``LocalFolder/withUploadSource(_:scanned:_:)``, which checked it is still the scanned version).
public struct UploadSource: Sendable {
    public let path: RelativePath
    /// The entry the scan recorded.
    public let entry: LocalEntry
    /// What the remote must send: the content identity the scan found.
    public let contentHash: String
    /// The file through its folder's open descriptor (`/proc/self/fd/N/name`): no folder of the
    /// path is looked up again, and a reader that opens it with `O_NOFOLLOW` refuses a link.
    public let readablePath: String
    /// The file's status when the upload began.
    public let before: FileStatus
    /// The SHA-256 of each block of `contentHash`, when the scan's are at hand (they hash to
    /// it; see ``BlockDigestCache``): the parts are signed with them without reading the file
    /// again. Nil: the remote hashes each block as it sends it.
    public let blockDigests: [[UInt8]]?

    /// Bytes to send.
    public var size: Int64 { entry.size }

    /// Whether the file is still the version the upload began from (same inode, size, mtime
    /// and ctime): false once it is rewritten, replaced or gone. An upload checks it after its
    /// bytes are sent, since what the storage verified is the file's only if it did not change.
    public func isUnchanged() -> Bool {
        guard let now = FileStatus.of(readablePath) else { return false }
        return now.kind == .file && now.inode == before.inode && now.size == before.size && now.mtimeNs == before.mtimeNs
            && now.ctimeNs == before.ctimeNs
    }

    /// A source for a file outside any folder (tests of a remote); nil when `readablePath` is
    /// not a regular file. `blockDigests` are kept only if they hash to `contentHash`.
    public init?(path: RelativePath, file readablePath: String, contentHash: String, blockDigests: [[UInt8]]? = nil) {
        guard let status = FileStatus.of(readablePath), let entry = status.entry(contentHash: contentHash), entry.kind == .file else { return nil }
        let digests = blockDigests.flatMap { BlockDigestCache.verified($0, identity: contentHash, fileSize: entry.size) }
        self.init(path: path, entry: entry, contentHash: contentHash, readablePath: readablePath, before: status, blockDigests: digests)
    }

    init(path: RelativePath, entry: LocalEntry, contentHash: String, readablePath: String, before: FileStatus, blockDigests: [[UInt8]]? = nil) {
        self.path = path
        self.entry = entry
        self.contentHash = contentHash
        self.readablePath = readablePath
        self.before = before
        self.blockDigests = blockDigests
    }
}
