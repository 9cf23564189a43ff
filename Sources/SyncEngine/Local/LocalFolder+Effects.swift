import CLinuxShims
import Glibc
import SyncAPI

/// Stat, mkdir, move and delete: each resolves the parent folder from the root descriptor and
/// acts on the last component with a `*at` call, so no link is ever followed.
extension LocalFolder {
    /// What is at `path` now (nil: nothing), links not followed.
    public func status(_ path: RelativePath) throws(LocalFolderError) -> FileStatus? {
        let (folder, name) = try parent(of: path)
        return folder.status(name)
    }

    /// Throws unless `path` is still what the scan recorded (or still absent).
    public func checkUnchanged(_ path: RelativePath, replacing old: LocalEntry?) throws {
        let (folder, name) = try parent(of: path)
        try Self.checkUnchanged(name, in: folder, replacing: old)
    }

    static func checkUnchanged(_ name: String, in folder: OpenFolder, replacing old: LocalEntry?) throws(LocalFileError) {
        let path = folder.child(name)
        switch (folder.status(name), old) {
        case (nil, nil):
            return
        case (nil, _?):
            throw LocalFileError(.changedSinceScan, "\(path) was deleted since the last scan")
        case (_?, nil):
            throw LocalFileError(.changedSinceScan, "\(path) appeared since the last scan; not overwritten")
        case (let now?, let old?):
            if !now.isUnchanged(from: old) { throw LocalFileError(.changedSinceScan, "\(path) changed since the last scan; not overwritten") }
        }
    }

    /// Creates the folder at `path` (its parent must exist); a folder already there is fine, a
    /// link or file there is not. Returns it as a scan would see it.
    @discardableResult
    public func makeFolder(_ path: RelativePath, mode: UInt32 = 0o755) throws(LocalFolderError) -> LocalEntry {
        let (folder, name) = try parent(of: path)
        if mkdirat(folder.fd, name, mode_t(mode)) != 0 && errno != EEXIST {
            throw LocalFolderError(.io, path, "cannot create folder \(path): \(String(cString: strerror(errno)))")
        }
        guard let now = folder.status(name), now.kind == .folder, let entry = now.entry() else {
            throw LocalFolderError.cannotEnter(path, found: folder.status(name), errno: ENOTDIR)
        }
        return entry
    }

    /// Renames `from` to `to` inside the folder (`renameat2` between the two parents'
    /// descriptors); never replaces what is at `to`.
    public func move(_ from: RelativePath, to: RelativePath) throws {
        let (source, fromName) = try parent(of: from)
        let (destination, toName) = try parent(of: to)
        guard syncd_renameat2(source.fd, fromName, destination.fd, toName, 1) == 0 else {
            throw LocalFolderError(.io, from, "cannot move \(from) to \(to): \(String(cString: strerror(errno)))")
        }
    }

    /// Deletes the file or (empty) folder at `path` if it is still what the scan recorded as
    /// `old`; already gone is fine.
    public func remove(_ path: RelativePath, scanned old: LocalEntry) throws {
        let (folder, name) = try parent(of: path)
        if folder.status(name) == nil { return }
        try Self.checkUnchanged(name, in: folder, replacing: old)
        guard unlinkat(folder.fd, name, old.kind == .folder ? AT_REMOVEDIR : 0) == 0 || errno == ENOENT else {
            throw LocalFolderError(.io, path, "cannot delete \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Removes a leftover `.syncd-tmp-*` file (a download a crash interrupted).
    public func removeTemporary(_ path: RelativePath) {
        guard path.name.utf8.starts(with: FolderScanner.temporaryPrefix), let (folder, name) = try? parent(of: path) else { return }
        if folder.status(name)?.kind == .file { unlinkat(folder.fd, name, 0) }
    }

    /// Runs `body` with a path string that reaches the file at `path` through its parent
    /// folder's open descriptor (`/proc/self/fd/N/name`), for code that opens files by path
    /// (an upload reading the file): no component of the folder path is looked up again, so a
    /// folder swapped for a link meanwhile is not followed; and every reader of that path opens
    /// or stats it without following a link (`O_NOFOLLOW`, `lstat`), so a name swapped for a
    /// link is refused, not read through.
    public func withReadablePath<T>(_ path: RelativePath, _ body: (String) async throws -> T) async throws -> T {
        let (folder, name) = try parent(of: path)
        switch folder.status(name)?.kind {
        case .file?: break
        case nil: throw LocalFolderError(.missing, path, "\(path) is gone")
        case .folder?: throw LocalFolderError(.io, path, "\(path) is a folder, not a file")
        case .symlink?, .other?: throw LocalFolderError.cannotEnter(path, found: folder.status(name), errno: ELOOP)
        }
        defer { withExtendedLifetime(folder) {} }
        return try await body("/proc/self/fd/\(folder.fd)/\(name)")
    }

    /// Runs `body` with the file at `path` as an upload reads it (``UploadSource``): refused with
    /// ``LocalFileError/Code/changedSinceScan`` unless it is still the version scanned as
    /// `scanned` (which carries the content identity to send). The block digests of that
    /// identity come along when `digests` holds them.
    public func withUploadSource<T>(
        _ path: RelativePath,
        scanned: LocalEntry,
        digests: BlockDigestCache? = nil,
        _ body: (UploadSource) async throws -> T
    ) async throws -> T {
        guard scanned.kind == .file, let hash = scanned.contentHash else { throw LocalFolderError(.io, path, "\(path) was not scanned as a file") }
        let (folder, name) = try parent(of: path)
        // One look: what is checked against the scan is what the upload then holds the file to.
        // The ctime too: a rewrite that keeps size and mtime (`cp -p`, `touch -r`) still moves
        // it, and the identity and block digests sent are the scan's.
        guard let before = folder.status(name), before.kind == .file, before.isUnchanged(from: scanned), before.ctimeNs == scanned.ctimeNs else {
            throw LocalFileError(.changedSinceScan, "\(path) changed since the last scan; it is rescanned")
        }
        defer { withExtendedLifetime(folder) {} }
        return try await body(
            UploadSource(
                path: path,
                entry: scanned,
                contentHash: hash,
                readablePath: "/proc/self/fd/\(folder.fd)/\(name)",
                before: before,
                blockDigests: digests?.digests(for: hash, fileSize: scanned.size)
            )
        )
    }

    /// Whether `/proc/self/fd/N` names the open file itself: the daemon reaches the files it
    /// reads and writes through such names, and refuses to start without procfs.
    static let hasProc: Bool = access("/proc/self/fd", X_OK) == 0
}

/// Which planned steps would have to go through something that is not a folder: a link (or a
/// FIFO, socket, device) where the remote tree has a folder or file. Such steps are held, not
/// tried: the resolution would refuse them anyway, and trying would only fail again each pass.
extension LocalFolder {
    /// What is in the way of a step, if anything.
    public struct Obstruction: Sendable, Equatable {
        /// The item in the way.
        public var path: RelativePath
        public var kind: FileStatus.Kind
    }

    /// Remembers, for one pass, what is at each folder path already looked at.
    public struct ObstructionCache: Sendable {
        var folders: [RelativePath: Obstruction?] = [:]
        public init() {}
    }

    /// The first link or special file at or above `path` (at `path` itself only when
    /// `includingItself`), looked at with `fstatat` without following links.
    public func obstruction(for path: RelativePath, includingItself: Bool, cache: inout ObstructionCache) -> Obstruction? {
        if let parent = path.parent, let above = obstruction(ofFolder: parent, cache: &cache) { return above }
        return includingItself ? look(path) : nil
    }

    private func obstruction(ofFolder folder: RelativePath, cache: inout ObstructionCache) -> Obstruction? {
        if let known = cache.folders[folder] { return known }
        var found: Obstruction?
        if let parent = folder.parent { found = obstruction(ofFolder: parent, cache: &cache) }
        if found == nil { found = look(folder) }
        cache.folders[folder] = .some(found)
        return found
    }

    /// Its parents being real folders, `fstatat` from the root does not pass a link.
    private func look(_ path: RelativePath) -> Obstruction? {
        guard path.isWellFormed else { return nil }
        var info = stat()
        guard fstatat(rootFD, path.string, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        let status = FileStatus(info)
        return status.kind == .symlink || status.kind == .other ? Obstruction(path: path, kind: status.kind) : nil
    }
}
