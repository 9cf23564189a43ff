import Foundation
import Glibc
public import Logging
import S3Client
import SyncAPI

/// Moves content recorded under the old identity (the plain SHA-256 of the whole file) to the
/// block hash (``ContentIdentity``): reads each such object once, checks it still has its old
/// hash, stores it under its identity (unless that object exists already) and renames the rows
/// (``MetadataStore/adoptIdentity(_:identity:)``). The old object is then unreferenced and
/// goes with the collector's next sweep.
///
/// Reading each legacy object once is the price of the upgrade: afterwards, every identity is
/// one the server has proven (for uploads, from the SHA-256 S3 verified part by part).
public struct LegacyRehash: Sendable {
    public let store: MetadataStore
    public let blobs: BlobStore
    public var logger = Logger(label: "syncd-server.rehash")

    public init(store: MetadataStore, blobs: BlobStore) {
        self.store = store
        self.blobs = blobs
    }

    public struct Report: Sendable, Equatable {
        /// Contents renamed to their identity.
        public var rehashed = 0
        /// Contents whose object was missing or did not have its recorded hash (left as they were).
        public var abandoned = 0
        /// Contents that failed for now (S3 or the database unreachable): tried again next pass.
        public var failed = 0
        public var bytesRead: Int64 = 0
    }

    /// Rehashes up to `limit` legacy contents; one that fails is logged and tried again on the
    /// next pass, the others go on.
    public func run(limit: Int = 10_000) async throws -> Report {
        var report = Report()
        for legacy in try await store.legacyContents(limit: limit) {
            do {
                try await rehash(legacy, into: &report)
            } catch {
                logger.warning(
                    "cannot rehash legacy content yet",
                    metadata: ["user": "\(legacy.userId)", "sha256": "\(legacy.sha256)", "error": "\(error)"]
                )
                report.failed += 1
            }
        }
        return report
    }

    private func rehash(_ legacy: MetadataStore.LegacyContent, into report: inout Report) async throws {
        let oldKey = blobs.key(userId: legacy.userId, sha256: legacy.sha256)
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("syncd-rehash-\(UUID().uuidString)").path
        defer { unlink(temporary) }
        do {
            try await blobs.download(oldKey, toFile: temporary)
        } catch let error as BlobStoreError where error.code == .missing {
            logger.warning("legacy content has no object; left as it is", metadata: ["key": "\(oldKey)"])
            try await store.abandonLegacy(legacy)
            report.abandoned += 1
            return
        }
        let (plain, identity, size) = try Self.hashes(of: temporary)
        report.bytesRead += size
        guard plain == legacy.sha256 else {
            logger.error(
                "legacy object does not have the SHA-256 it is recorded under; left as it is",
                metadata: ["key": "\(oldKey)", "sha256": "\(plain)"]
            )
            try await store.abandonLegacy(legacy)
            report.abandoned += 1
            return
        }
        let newKey = blobs.key(userId: legacy.userId, sha256: identity)
        // Old and new hashes share one key space. The key of the identity may hold another
        // legacy content (bytes whose plain SHA-256 is this identity): that one moves first.
        if identity != legacy.sha256, try await store.isLegacyContent(userId: legacy.userId, contentHash: identity) {
            logger.notice("the identity's key still holds other legacy content; tried again after it moved", metadata: ["key": "\(newKey)"])
            report.failed += 1
            return
        }
        // An object already there is reused only when items reference it under the new scheme
        // (an upload proved it) and it has the size; anything else there (a leftover of a
        // crash, an unswept legacy object) is replaced by the bytes just checked.
        let existing = try await blobs.head(newKey)
        let proven = try await store.storesContent(userId: legacy.userId, contentHash: identity)
        if existing?.size != size || !proven {
            try await blobs.upload(newKey, fromFile: temporary)
        }
        try await store.adoptIdentity(legacy, identity: identity)
        report.rehashed += 1
    }

    /// The plain SHA-256 (hex) and the identity of a file, in one read.
    static func hashes(of path: String) throws -> (plain: String, identity: String, size: Int64) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RehashError("cannot open \(path)") }
        defer { close(fd) }
        // The size by seeking (a `struct stat` would be owned by whichever C module loaded its
        // header first, which MemberImportVisibility makes this file name).
        let size = Int64(lseek(fd, 0, SEEK_END))
        guard size >= 0, lseek(fd, 0, SEEK_SET) == 0 else { throw RehashError("cannot size \(path)") }
        var plain = ChecksumHasher(.sha256)
        var identity = ContentHasher(fileSize: size)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw RehashError("cannot read \(path)") }
            if n == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            plain.update(chunk)
            identity.update(chunk)
        }
        guard let result = identity.finalize(), let digest = Data(base64Encoded: plain.finalize().base64) else {
            throw RehashError("\(path) changed while it was read")
        }
        return (ContentIdentity.hex(digest), result.identity, size)
    }
}

/// A local failure while rehashing (the temporary copy of an object).
struct RehashError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
