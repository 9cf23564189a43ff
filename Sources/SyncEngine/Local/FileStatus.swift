import Glibc
import SyncAPI

/// What `fstatat(2)` says about an item, as sync compares it: the one place a `stat` becomes a
/// ``LocalEntry`` or is checked against one.
public struct FileStatus: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case folder
        case file
        case symlink
        /// A FIFO, socket or device node.
        case other
    }

    public var kind: Kind
    public var size: Int64
    public var mtimeNs: Int64
    public var ctimeNs: Int64
    public var inode: UInt64
    /// The permission bits (`st_mode & 0o7777`).
    public var permissions: UInt32

    init(_ info: stat) {
        kind =
            switch info.st_mode & S_IFMT {
            case S_IFDIR: .folder
            case S_IFREG: .file
            case S_IFLNK: .symlink
            default: .other
            }
        size = Int64(info.st_size)
        mtimeNs = Self.ns(info.st_mtim)
        ctimeNs = Self.ns(info.st_ctim)
        inode = UInt64(info.st_ino)
        permissions = UInt32(info.st_mode & 0o7777)
    }

    /// The status of the item `path` names, without following a link at its end; nil when
    /// nothing is there.
    public static func of(_ path: String) -> FileStatus? {
        var info = stat()
        return lstat(path, &info) == 0 ? FileStatus(info) : nil
    }

    /// The entry a scan records (nil for links and special files, which are not synced).
    public func entry(contentHash: String? = nil) -> LocalEntry? {
        switch kind {
        case .folder: LocalEntry(kind: .folder, mtimeNs: mtimeNs, ctimeNs: ctimeNs, inode: inode)
        case .file: LocalEntry(kind: .file, size: size, mtimeNs: mtimeNs, ctimeNs: ctimeNs, inode: inode, contentHash: contentHash)
        case .symlink, .other: nil
        }
    }

    /// Whether this is still the item a scan recorded as `old`: same kind and inode, and for a
    /// file the same size and mtime.
    public func isUnchanged(from old: LocalEntry) -> Bool {
        guard inode == old.inode else { return false }
        switch (kind, old.kind) {
        case (.folder, .folder): return true
        case (.file, .file): return size == old.size && mtimeNs == old.mtimeNs
        default: return false
        }
    }

    static func ns(_ time: timespec) -> Int64 {
        Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
