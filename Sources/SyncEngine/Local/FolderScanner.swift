import Glibc

/// Something in the folder that sync skipped, and why.
public struct ScanProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// A symbolic link: never followed, not synced.
        case symlink
        /// A FIFO, socket or device node: not synced.
        case special
        /// A name that is not valid UTF-8: not synced (the server's paths are UTF-8).
        case invalidName
        /// A folder or file that could not be read: its last known state is kept.
        case unreadable
        /// A file that changed while it was hashed: it is looked at again next scan.
        case changing
    }

    public var kind: Kind
    /// The path, with bytes that are not UTF-8 shown as U+FFFD.
    public var path: String
    public var message: String

    public var description: String { "\(path): \(message)" }
}

/// What a scan found.
public struct ScanResult: Sendable {
    /// The scanned subtree (its root included), or the whole folder.
    public var tree: LocalTree
    public var problems: [ScanProblem]
    /// Files whose content was hashed (new, or size/mtime/ctime/inode changed).
    public var filesHashed: Int
    public var bytesHashed: Int64
    /// Leftover `.syncd-tmp-*` files of downloads a crash interrupted (absolute paths).
    public var staleTemporaries: [String] = []
}

/// Walks the synced folder and describes it as a ``LocalTree``.
///
/// A file is hashed again only when its size, mtime, ctime or inode differ from the previous
/// scan; otherwise the previous hash is kept. Symlinks, FIFOs, sockets and devices are skipped
/// and reported (symlinks are not followed: a link out of the folder would sync what is not in
/// it). A folder that cannot be read, or a file that changes while hashed, keeps its previous
/// state, so that an unreadable item never looks deleted.
public struct FolderScanner: Sendable {
    public let root: String
    public var ignore: IgnoreRules

    public init(root: String, ignore: IgnoreRules) {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
        self.ignore = ignore
    }

    /// Reads `.syncignore` at the folder root (missing: only the built-in rules).
    public static func loadIgnoreRules(root: String) -> IgnoreRules {
        let path = root + "/" + IgnoreRules.fileName
        guard let data = readSmallFile(path) else { return IgnoreRules() }
        return IgnoreRules(String(decoding: data, as: UTF8.self))
    }

    /// Scans the whole folder, or one subtree of it.
    public func scan(subtree: RelativePath? = nil, previous: LocalTree) throws(ScanError) -> ScanResult {
        var rootInfo = stat()
        guard lstat(root, &rootInfo) == 0, (rootInfo.st_mode & S_IFMT) == S_IFDIR else {
            throw ScanError(message: "the synced folder \(root) is gone or not a folder; sync is stopped until it is back")
        }
        var result = ScanResult(tree: LocalTree(), problems: [], filesHashed: 0, bytesHashed: 0)
        result.tree.entries.reserveCapacity(subtree == nil ? previous.entries.count : 0)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ContentHash.blockSize, alignment: 64)
        defer { buffer.deallocate() }
        var pending: [RelativePath?] = []
        if let subtree {
            var info = stat()
            let absolute = root + "/" + subtree.string
            guard lstat(absolute, &info) == 0 else { return result }  // gone: the subtree is empty
            guard let entry = visit(subtree, absolute: absolute, info: info, previous: previous, buffer: buffer, into: &result) else { return result }
            if entry.kind == .folder { pending.append(subtree) }
        } else {
            pending.append(nil)
        }
        while let folder = pending.popLast() {
            let absolute = folder.map { root + "/" + $0.string } ?? root
            guard let dir = opendir(absolute) else {
                result.problems.append(ScanProblem(kind: .unreadable, path: folder?.string ?? "/", message: "cannot read folder: \(String(cString: strerror(errno)))"))
                keepPrevious(under: folder, previous: previous, into: &result)
                continue
            }
            defer { closedir(dir) }
            let fd = dirfd(dir)
            while let item = readdir(dir) {
                let nameBytes = withUnsafeBytes(of: item.pointee.d_name) { raw in
                    Array(raw.prefix { $0 != 0 })
                }
                if nameBytes == [46] || nameBytes == [46, 46] { continue }
                if nameBytes.starts(with: Self.temporaryPrefix) {
                    result.staleTemporaries.append(absolute + "/" + String(decoding: nameBytes, as: UTF8.self))
                    continue
                }
                guard let name = String(validating: nameBytes, as: UTF8.self) else {
                    let shown = String(decoding: nameBytes, as: UTF8.self)
                    result.problems.append(ScanProblem(kind: .invalidName, path: (folder.map { $0.string + "/" } ?? "") + shown, message: "name is not valid UTF-8; not synced"))
                    continue
                }
                let path = folder.map { $0.appending(name) } ?? RelativePath(unchecked: name)
                var info = stat()
                guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }  // vanished meanwhile
                if let entry = visit(path, absolute: absolute + "/" + name, info: info, previous: previous, buffer: buffer, into: &result), entry.kind == .folder {
                    pending.append(path)
                }
            }
        }
        return result
    }

    /// Adds one item to the result; returns its entry when it is synced.
    private func visit(
        _ path: RelativePath, absolute: String, info: stat, previous: LocalTree, buffer: UnsafeMutableRawBufferPointer, into result: inout ScanResult
    ) -> LocalEntry? {
        let type = info.st_mode & S_IFMT
        switch type {
        case S_IFDIR:
            guard !ignore.isIgnored(path, isFolder: true) else { return nil }
            let entry = LocalEntry(kind: .folder, mtimeNs: Self.ns(info.st_mtim), ctimeNs: Self.ns(info.st_ctim), inode: UInt64(info.st_ino))
            result.tree[path] = entry
            return entry
        case S_IFREG:
            guard !ignore.isIgnored(path, isFolder: false) else { return nil }
            var entry = LocalEntry(
                kind: .file, size: Int64(info.st_size), mtimeNs: Self.ns(info.st_mtim), ctimeNs: Self.ns(info.st_ctim),
                inode: UInt64(info.st_ino))
            if let old = previous[path], old.kind == .file, old.size == entry.size, old.mtimeNs == entry.mtimeNs,
                old.ctimeNs == entry.ctimeNs, old.inode == entry.inode, let hash = old.contentHash
            {
                entry.contentHash = hash
            } else {
                do {
                    entry.contentHash = try hashStable(absolute, expecting: info, buffer: buffer)
                    result.filesHashed += 1
                    result.bytesHashed += entry.size
                } catch {
                    result.problems.append(ScanProblem(kind: error.code == .changedSinceScan ? .changing : .unreadable, path: path.string, message: error.message))
                    if let old = previous[path] { result.tree[path] = old }
                    return nil
                }
            }
            result.tree[path] = entry
            return entry
        case S_IFLNK:
            if !ignore.isIgnored(path, isFolder: false) {
                result.problems.append(ScanProblem(kind: .symlink, path: path.string, message: "symbolic link; not followed, not synced"))
            }
            return nil
        default:
            result.problems.append(ScanProblem(kind: .special, path: path.string, message: "not a regular file or folder; not synced"))
            return nil
        }
    }

    /// Hashes a file and checks it did not change meanwhile (same size, mtime and inode after).
    private func hashStable(_ absolute: String, expecting before: stat, buffer: UnsafeMutableRawBufferPointer) throws(LocalFileError) -> String {
        let fd = open(absolute, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw LocalFileError(.io, "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let (hex, bytes) = try ContentHash.hash(fd: fd, buffer: buffer)
        var after = stat()
        guard fstat(fd, &after) == 0, after.st_ino == before.st_ino, after.st_size == before.st_size,
            Self.ns(after.st_mtim) == Self.ns(before.st_mtim), bytes == Int64(before.st_size)
        else {
            throw LocalFileError(.changedSinceScan, "changed while being read; will look again")
        }
        return hex
    }

    private func keepPrevious(under folder: RelativePath?, previous: LocalTree, into result: inout ScanResult) {
        for (path, entry) in previous.entries where folder == nil || path == folder || path.isInside(folder!) {
            result.tree[path] = entry
        }
    }

    static let temporaryPrefix = Array(".syncd-tmp-".utf8)

    static func ns(_ time: timespec) -> Int64 {
        Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}

/// The synced folder itself is unusable: a scan cannot say anything.
public struct ScanError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Reads a small file whole; nil when it cannot be read.
func readSmallFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        bytes += buffer[0..<n]
    }
    return bytes
}
