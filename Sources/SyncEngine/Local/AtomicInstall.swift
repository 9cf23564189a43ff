import CLinuxShims
import Glibc

/// Puts downloaded bytes into the folder without ever exposing a half-written file or
/// overwriting a change the user made since the last scan.
///
/// The bytes go to a temporary file in the same folder (same filesystem, so the final rename is
/// atomic), named `.syncd-tmp-*` (always ignored by scans). Installing verifies the SHA-256,
/// fsyncs the file, checks the target is still what the scan saw, renames, and fsyncs the folder.
public enum AtomicInstall {
    /// A new temporary file beside `target`, open for writing; the caller writes and closes it.
    public static func makeTemporary(beside target: String) throws(LocalFileError) -> (path: String, fd: Int32) {
        let folder = target.lastIndex(of: "/").map { String(target[..<$0]) } ?? "."
        var template = Array("\(folder)/.syncd-tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd >= 0 {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            // mkstemp makes 0600; a synced file gets what any new file gets (0666 less umask).
            _ = fchmod(fd, newFileMode)
        }
        guard fd >= 0 else { throw LocalFileError(.io, "cannot create a temporary file in \(folder): \(String(cString: strerror(errno)))") }
        return (String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self), fd)
    }

    /// The mode new files get here: 0666 less the process's umask (read once: reading the
    /// umask means setting it).
    static let newFileMode: mode_t = {
        let mask = umask(0o022)
        umask(mask)
        return 0o666 & ~mask
    }()

    /// Moves a finished temporary file to `target`.
    ///
    /// - Parameters:
    ///   - expectedHash: the content's hex SHA-256; a mismatch removes the temporary file.
    ///   - replacing: what the scan saw at `target` (nil: nothing). If the target differs now
    ///     (created, edited, replaced since), nothing is installed and the error says so.
    /// - Returns: the installed file as a scan would see it.
    @discardableResult
    public static func install(temporary: String, at target: String, expectedHash: String, replacing: LocalEntry?) throws(LocalFileError) -> LocalEntry {
        do throws(LocalFileError) {
            let fd = open(temporary, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw LocalFileError(.io, "cannot open \(temporary): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            let (hash, _) = try ContentHash.hash(fd: fd)
            guard hash == expectedHash else {
                throw LocalFileError(.hashMismatch, "downloaded content of \(target) has SHA-256 \(hash), expected \(expectedHash); not installed")
            }
            guard fsync(fd) == 0 else { throw LocalFileError(.io, "cannot flush \(temporary): \(String(cString: strerror(errno)))") }
            try checkUnchanged(target, replacing: replacing)
            // A new version keeps the permissions of the file it replaces (an executable stays one).
            var old = stat()
            if replacing != nil, lstat(target, &old) == 0 { _ = fchmod(fd, old.st_mode & 0o7777) }
            // With nothing expected at the target, refuse to replace whatever appeared meanwhile.
            let renamed = replacing == nil ? syncd_rename_noreplace(temporary, target) : rename(temporary, target)
            guard renamed == 0 else {
                if errno == EEXIST { throw LocalFileError(.changedSinceScan, "\(target) appeared since the last scan; not overwritten") }
                throw LocalFileError(.io, "cannot move the download into \(target): \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temporary)
            throw error
        }
        syncFolder(of: target)
        var info = stat()
        guard lstat(target, &info) == 0 else { throw LocalFileError(.io, "\(target) vanished right after install") }
        return LocalEntry(
            kind: .file, size: Int64(info.st_size), mtimeNs: FolderScanner.ns(info.st_mtim), ctimeNs: FolderScanner.ns(info.st_ctim),
            inode: UInt64(info.st_ino), contentHash: expectedHash)
    }

    /// Throws unless `path` is still what the scan recorded (or still absent).
    public static func checkUnchanged(_ path: String, replacing: LocalEntry?) throws(LocalFileError) {
        var info = stat()
        let exists = lstat(path, &info) == 0
        switch (exists, replacing) {
        case (false, nil):
            return
        case (false, _?):
            throw LocalFileError(.changedSinceScan, "\(path) was deleted since the last scan")
        case (true, nil):
            throw LocalFileError(.changedSinceScan, "\(path) appeared since the last scan; not overwritten")
        case (true, let old?):
            let same = (info.st_mode & S_IFMT) == (old.kind == .folder ? S_IFDIR : S_IFREG)
                && UInt64(info.st_ino) == old.inode
                && (old.kind == .folder || (Int64(info.st_size) == old.size && FolderScanner.ns(info.st_mtim) == old.mtimeNs))
            if !same { throw LocalFileError(.changedSinceScan, "\(path) changed since the last scan; not overwritten") }
        }
    }

    /// fsync of the containing folder, so that the rename itself is durable.
    static func syncFolder(of path: String) {
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
