import CLinuxShims
import Glibc

/// Puts downloaded bytes into the folder without ever exposing a half-written file or
/// overwriting a change the user made since the last scan.
///
/// The bytes go to a temporary file created (`O_CREAT | O_EXCL | O_NOFOLLOW`) in the target's
/// own folder through that folder's descriptor: same filesystem, so the final `renameat2` is
/// atomic; named `.syncd-tmp-*` (always ignored by scans). Installing verifies the SHA-256,
/// fsyncs the file, checks the target is still what the scan saw, renames within the folder
/// descriptor, and fsyncs the folder.
extension LocalFolder {
    /// A temporary file beside a download's target, open for reading and writing.
    public final class TemporaryFile: Sendable {
        /// The folder it is in (that of the target).
        let folder: OpenFolder
        let name: String
        let fd: Int32
        /// A path that opens this very file (`/proc/self/fd/N`), for a writer that takes a path:
        /// no folder path is looked up again.
        public let path: String

        init(folder: OpenFolder, name: String, fd: Int32, path: String) {
            self.folder = folder
            self.name = name
            self.fd = fd
            self.path = path
        }

        deinit { close(fd) }
    }

    /// A new empty temporary file in the folder that holds `target`.
    public func makeTemporary(beside target: RelativePath) throws -> TemporaryFile {
        let (folder, _) = try parent(of: target)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let suffix = String(UInt64.random(in: 0...UInt64.max, using: &generator), radix: 36)
            let name = ".syncd-tmp-" + suffix
            // mkstemp-like 0600 would stick: a synced file gets what any new file gets.
            let fd = openat(folder.fd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, Self.newFileMode)
            if fd < 0 && errno == EEXIST { continue }
            guard fd >= 0 else {
                throw LocalFileError(
                    .io,
                    "cannot create a temporary file in \(folder.path?.string ?? "the folder"): \(String(cString: strerror(errno)))"
                )
            }
            _ = fchmod(fd, Self.newFileMode)
            let path = "/proc/self/fd/\(fd)"
            return TemporaryFile(folder: folder, name: name, fd: fd, path: path)
        }
        throw LocalFileError(.io, "cannot create a temporary file beside \(target): every name tried is taken")
    }

    /// Removes a temporary file that will not be installed.
    public func discard(_ temporary: TemporaryFile) {
        unlinkat(temporary.folder.fd, temporary.name, 0)
    }

    /// The mode new files get here: 0666 less the process's umask (read once: reading the
    /// umask means setting it).
    static let newFileMode: mode_t = {
        let mask = umask(0o022)
        umask(mask)
        return 0o666 & ~mask
    }()

    /// Moves a finished temporary file to `target` (which must be the path it was made beside).
    ///
    /// - Parameters:
    ///   - expectedHash: the content's hex SHA-256; a mismatch removes the temporary file.
    ///   - replacing: what the scan saw at `target` (nil: nothing). If the target differs now
    ///     (created, edited, replaced since), nothing is installed and the error says so.
    /// - Returns: the installed file as a scan would see it.
    @discardableResult
    public func install(_ temporary: TemporaryFile, at target: RelativePath, expectedHash: String, replacing: LocalEntry?) throws -> LocalEntry {
        let folder = temporary.folder
        let name = target.name
        guard target.parent == folder.path else {
            discard(temporary)
            throw LocalFileError(.io, "\(target) is not in the folder of its temporary file")
        }
        do throws(LocalFileError) {
            guard lseek(temporary.fd, 0, SEEK_SET) == 0 else {
                throw LocalFileError(.io, "cannot read the download of \(target): \(String(cString: strerror(errno)))")
            }
            let hash = try ContentHash.hash(fd: temporary.fd).hex
            guard hash == expectedHash else {
                throw LocalFileError(
                    .hashMismatch,
                    "downloaded content of \(target) has content hash \(hash), expected \(expectedHash); not installed"
                )
            }
            guard fsync(temporary.fd) == 0 else {
                throw LocalFileError(.io, "cannot flush the download of \(target): \(String(cString: strerror(errno)))")
            }
            try Self.checkUnchanged(name, in: folder, replacing: replacing)
            // A new version keeps the permissions of the file it replaces (an executable stays one).
            if replacing != nil, let old = folder.status(name) { _ = fchmod(temporary.fd, mode_t(old.permissions)) }
            // With nothing expected at the target, refuse to replace whatever appeared meanwhile.
            guard syncd_renameat2(folder.fd, temporary.name, folder.fd, name, replacing == nil ? 1 : 0) == 0 else {
                if errno == EEXIST { throw LocalFileError(.changedSinceScan, "\(target) appeared since the last scan; not overwritten") }
                throw LocalFileError(.io, "cannot move the download into \(target): \(String(cString: strerror(errno)))")
            }
        } catch {
            discard(temporary)
            throw error
        }
        // The rename itself is durable once the folder is flushed.
        fsync(folder.fd)
        guard let now = folder.status(name), let entry = now.entry(contentHash: expectedHash), now.kind == .file else {
            throw LocalFileError(.io, "\(target) vanished right after install")
        }
        return entry
    }
}
