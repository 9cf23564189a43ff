import Glibc
import SyncAPI

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

    /// A name in `folder` (nil: the root) that is not UTF-8, shown with U+FFFD for its bad bytes.
    static func invalidName(in folder: RelativePath?, shown: String) -> ScanProblem {
        ScanProblem(kind: .invalidName, path: (folder.map { $0.string + "/" } ?? "") + shown, message: "name is not valid UTF-8; not synced")
    }

    static func symlink(_ path: RelativePath) -> ScanProblem {
        ScanProblem(kind: .symlink, path: path.string, message: "symbolic link; not followed, not synced")
    }

    static func special(_ path: RelativePath) -> ScanProblem {
        ScanProblem(kind: .special, path: path.string, message: "not a regular file or folder; not synced")
    }
}

/// What a scan found.
public struct ScanResult: Sendable {
    /// The scanned subtree (its root included), or the whole folder.
    public var tree: LocalTree
    public var problems: [ScanProblem]
    /// Files whose content was hashed (new, or size/mtime/ctime/inode changed).
    public var filesHashed: Int
    public var bytesHashed: Int64
    /// Leftover `.syncd-tmp-*` files of downloads a crash interrupted.
    public var staleTemporaries: [RelativePath] = []
}

/// Walks the synced folder and describes it as a ``LocalTree``.
///
/// A file is hashed again only when its size, mtime, ctime or inode differ from the previous
/// scan; otherwise the previous hash is kept. Symlinks, FIFOs, sockets and devices are skipped
/// and reported (symlinks are not followed: a link out of the folder would sync what is not in
/// it). A folder that cannot be read, or a file that changes while hashed, keeps its previous
/// state, so that an unreadable item never looks deleted. Folders are opened and files read
/// through ``LocalFolder`` (descriptor-relative, no link followed at any component), so a folder
/// swapped for a link during a scan is not entered either.
public struct FolderScanner: Sendable {
    public let root: String
    public var ignore: IgnoreRules
    /// Where the block digests of each file hashed go, for its upload (nil: dropped).
    public let digests: BlockDigestCache?

    public init(root: String, ignore: IgnoreRules, digests: BlockDigestCache? = nil) {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
        self.ignore = ignore
        self.digests = digests
    }

    /// Reads `.syncignore` at the folder root (missing: only the built-in rules).
    public static func loadIgnoreRules(root: String) -> IgnoreRules {
        let path = root + "/" + IgnoreRules.fileName
        guard let data = readSmallFile(path, followingLinks: false) else { return IgnoreRules() }
        return IgnoreRules(String(decoding: data, as: UTF8.self))
    }

    /// Scans the whole folder, or one subtree of it.
    public func scan(subtree: RelativePath? = nil, previous: LocalTree) throws(ScanError) -> ScanResult {
        var rootInfo = stat()
        guard lstat(root, &rootInfo) == 0, (rootInfo.st_mode & S_IFMT) == S_IFDIR else {
            throw ScanError(message: "the synced folder \(root) is gone or not a folder; sync is stopped until it is back")
        }
        let folder: LocalFolder
        do { folder = try LocalFolder(root: root) } catch { throw ScanError(message: "\(error); sync is stopped until it is back") }
        var result = ScanResult(tree: LocalTree(), problems: [], filesHashed: 0, bytesHashed: 0)
        result.tree.entries.reserveCapacity(subtree == nil ? previous.entries.count : 0)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ContentHash.blockSize, alignment: 64)
        defer { buffer.deallocate() }
        var pending: [RelativePath?] = []
        if let subtree {
            // Gone, or below a link or file: the subtree is empty. A failure that says nothing
            // about what is there (EMFILE, EIO, EACCES) keeps what the journal had: an empty
            // subtree would be planned as a deletion.
            let parent: OpenFolder
            do {
                parent = try folder.openFolder(subtree.parent)
            } catch {
                if error.code == .io { keepUnknown(subtree, because: error.message, previous: previous, into: &result) }
                return result
            }
            var info = stat()
            guard fstatat(parent.fd, subtree.name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                let failure = errno
                if failure != ENOENT && failure != ENOTDIR {
                    keepUnknown(subtree, because: String(cString: strerror(failure)), previous: previous, into: &result)
                }
                return result
            }
            guard let entry = visit(subtree, in: parent.fd, info: info, previous: previous, buffer: buffer, into: &result) else { return result }
            if entry.kind == .folder { pending.append(subtree) }
        } else {
            pending.append(nil)
        }
        while let current = pending.popLast() {
            let opened: Int32
            do {
                opened = try folder.openFolderDescriptor(current)
            } catch {
                result.problems.append(ScanProblem(kind: .unreadable, path: current?.string ?? "/", message: "cannot read folder: \(error.message)"))
                keepPrevious(under: current, previous: previous, into: &result)
                continue
            }
            guard let dir = fdopendir(opened) else {
                close(opened)
                result.problems.append(
                    ScanProblem(kind: .unreadable, path: current?.string ?? "/", message: "cannot read folder: \(String(cString: strerror(errno)))")
                )
                keepPrevious(under: current, previous: previous, into: &result)
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
                    if let name = String(validating: nameBytes, as: UTF8.self) {
                        result.staleTemporaries.append(current.map { $0.appending(name) } ?? RelativePath(unchecked: name))
                    }
                    continue
                }
                guard let name = String(validating: nameBytes, as: UTF8.self) else {
                    result.problems.append(.invalidName(in: current, shown: String(decoding: nameBytes, as: UTF8.self)))
                    continue
                }
                let path = current.map { $0.appending(name) } ?? RelativePath(unchecked: name)
                var info = stat()
                guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                    let failure = errno
                    if failure == ENOENT { continue }  // vanished meanwhile
                    // Listed but not looked at (EACCES in a folder one may list but not enter,
                    // EIO): what the journal had stays, never a deletion.
                    let why = String(cString: strerror(failure))
                    result.problems.append(ScanProblem(kind: .unreadable, path: path.string, message: "cannot look at it: \(why)"))
                    keepPrevious(under: path, previous: previous, into: &result)
                    continue
                }
                if let entry = visit(path, in: fd, info: info, previous: previous, buffer: buffer, into: &result), entry.kind == .folder {
                    pending.append(path)
                }
            }
        }
        return result
    }

    /// Adds one item to the result; returns its entry when it is synced.
    /// - Parameter folderFD: the open folder holding the item.
    private func visit(
        _ path: RelativePath,
        in folderFD: Int32,
        info: stat,
        previous: LocalTree,
        buffer: UnsafeMutableRawBufferPointer,
        into result: inout ScanResult
    ) -> LocalEntry? {
        let status = FileStatus(info)
        switch status.kind {
        case .folder:
            guard !ignore.isIgnored(path, isFolder: true), let entry = status.entry() else { return nil }
            result.tree[path] = entry
            return entry
        case .file:
            guard !ignore.isIgnored(path, isFolder: false), var entry = status.entry() else { return nil }
            if let old = previous[path], old.kind == .file, old.size == entry.size, old.mtimeNs == entry.mtimeNs,
                old.ctimeNs == entry.ctimeNs, old.inode == entry.inode, let hash = old.contentHash
            {
                entry.contentHash = hash
            } else {
                do {
                    entry.contentHash = try hashStable(path.name, in: folderFD, expecting: status, buffer: buffer)
                    result.filesHashed += 1
                    result.bytesHashed += entry.size
                } catch {
                    result.problems.append(
                        ScanProblem(kind: error.code == .changedSinceScan ? .changing : .unreadable, path: path.string, message: error.message)
                    )
                    if let old = previous[path] { result.tree[path] = old }
                    return nil
                }
            }
            result.tree[path] = entry
            return entry
        case .symlink:
            if !ignore.isIgnored(path, isFolder: false) {
                result.problems.append(.symlink(path))
            }
            return nil
        case .other:
            result.problems.append(.special(path))
            return nil
        }
    }

    /// Hashes a file and checks it did not change meanwhile (same size, mtime and inode after).
    private func hashStable(
        _ name: String,
        in folderFD: Int32,
        expecting before: FileStatus,
        buffer: UnsafeMutableRawBufferPointer
    ) throws(LocalFileError) -> String {
        let fd = openat(folderFD, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw LocalFileError(.io, "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let hashed = try ContentHash.hash(fd: fd, buffer: buffer)
        var after = stat()
        guard fstat(fd, &after) == 0, FileStatus(after).inode == before.inode, FileStatus(after).size == before.size,
            FileStatus(after).mtimeNs == before.mtimeNs, hashed.bytes == before.size
        else {
            throw LocalFileError(.changedSinceScan, "changed while being read; will look again")
        }
        digests?.insert(hashed.blockDigests, for: hashed.hex)
        return hashed.hex
    }

    /// A subtree that could not be looked at: reported, and kept as it was.
    private func keepUnknown(_ subtree: RelativePath, because why: String, previous: LocalTree, into result: inout ScanResult) {
        result.problems.append(ScanProblem(kind: .unreadable, path: subtree.string, message: "cannot look at it: \(why)"))
        keepPrevious(under: subtree, previous: previous, into: &result)
    }

    private func keepPrevious(under folder: RelativePath?, previous: LocalTree, into result: inout ScanResult) {
        for (path, entry) in previous.entries where folder == nil || path == folder || path.isInside(folder!) {
            result.tree[path] = entry
        }
    }

    static let temporaryPrefix = Array(".syncd-tmp-".utf8)

}

/// The synced folder itself is unusable: a scan cannot say anything.
public struct ScanError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Reads a small file whole; nil when it cannot be read.
/// - Parameter followingLinks: false refuses a link as the last component (`O_NOFOLLOW`).
func readSmallFile(_ path: String, followingLinks: Bool = true) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC | (followingLinks ? 0 : O_NOFOLLOW))
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
