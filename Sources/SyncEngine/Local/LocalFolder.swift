import CLinuxShims
import Glibc

/// The synced folder as the engine touches it: every effect under the root (scan, download,
/// mkdir, move, delete, conflict copy, temporary file, stat) goes through here.
///
/// It holds a descriptor of the root and resolves every relative path from it, component by
/// component, never following a symbolic link and never leaving the root: `openat2(2)` with
/// `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS` (Linux 5.6), else `openat(2)` with
/// `O_NOFOLLOW | O_DIRECTORY` one component at a time. The last component is then acted on with
/// the `*at` calls relative to its folder's descriptor (`mkdirat`, `renameat2`, `unlinkat`,
/// `fstatat` with `AT_SYMLINK_NOFOLLOW`). A link in the folder, wherever it points and whatever
/// the server says, is thus never written through: the step fails with
/// ``LocalFolderError/Code/obstructed``.
///
/// The root itself is opened as configured (a root reached through a link, `~/Sync ->
/// /data/Sync`, is fine). A pass opens the folder once; if the root is replaced meanwhile, the
/// pass finishes in the old one and the next sees the new.
public final class LocalFolder: Sendable {
    /// How paths are resolved below the root.
    public enum Resolution: Sendable {
        /// One `openat2(2)` with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS`.
        case openat2
        /// `openat(2)` with `O_NOFOLLOW | O_DIRECTORY`, one component at a time (kernels before 5.6).
        case perComponent
    }

    /// The folder as configured.
    public let root: String
    /// How this instance resolves paths.
    public let resolution: Resolution
    let rootFD: Int32

    /// Opens the folder at `root`.
    /// - Parameter resolution: nil picks `openat2` when the kernel has it.
    public init(root: String, resolution: Resolution? = nil) throws(LocalFolderError) {
        // Files are read and written through `/proc/self/fd/N` (see ``withReadablePath(_:_:)``);
        // without procfs that would mean paths under the root again, links and all.
        guard Self.hasProc else {
            throw LocalFolderError(
                .io,
                nil,
                "/proc is not mounted: syncd reaches the files it syncs through /proc/self/fd and will not fall back to plain paths"
            )
        }
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw LocalFolderError(.io, nil, "cannot open the synced folder \(root): \(String(cString: strerror(errno)))")
        }
        self.root = root
        rootFD = fd
        self.resolution = resolution ?? (Self.kernelHasOpenat2 ? .openat2 : .perComponent)
    }

    deinit { close(rootFD) }

    /// Whether `openat2(2)` works here (not ENOSYS: Linux 5.6 or later, not hidden by seccomp).
    static let kernelHasOpenat2: Bool = {
        let fd = syncd_open_beneath(AT_FDCWD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        if fd >= 0 { close(fd) }
        return fd >= 0 || errno != ENOSYS
    }()

    /// A folder under the root, open (nil: the root itself). Never through a link.
    public func openFolder(_ path: RelativePath?) throws(LocalFolderError) -> OpenFolder {
        OpenFolder(fd: try openFolderDescriptor(path), path: path)
    }

    /// The folder holding `path`, open, and the name of `path` in it.
    func parent(of path: RelativePath) throws(LocalFolderError) -> (folder: OpenFolder, name: String) {
        try check(path)
        return (try openFolder(path.parent), path.name)
    }

    /// A raw descriptor (the caller closes it) of the folder at `path`.
    func openFolderDescriptor(_ path: RelativePath?) throws(LocalFolderError) -> Int32 {
        guard let path else {
            let fd = fcntl(rootFD, F_DUPFD_CLOEXEC, 0)
            guard fd >= 0 else { throw LocalFolderError(.io, nil, "cannot open \(root): \(String(cString: strerror(errno)))") }
            return fd
        }
        try check(path)
        if resolution == .openat2 {
            var fd = syncd_open_beneath(rootFD, path.string, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
            // A folder one may enter and write but not list (mode 0300) still takes *at calls.
            if fd < 0 && errno == EACCES { fd = syncd_open_beneath(rootFD, path.string, SYNCD_O_PATH | O_DIRECTORY | O_CLOEXEC, 0) }
            if fd >= 0 { return fd }
            // ENOSYS (no such call after all), or something is in the way: the walk, as safe,
            // says exactly what.
        }
        return try walk(path)
    }

    /// Opens `path` one component at a time, each with `O_NOFOLLOW | O_DIRECTORY`; when one
    /// cannot be opened, says what is there.
    private func walk(_ path: RelativePath) throws(LocalFolderError) -> Int32 {
        var fd = fcntl(rootFD, F_DUPFD_CLOEXEC, 0)
        guard fd >= 0 else { throw LocalFolderError(.io, path, "cannot open \(root): \(String(cString: strerror(errno)))") }
        var reached: RelativePath?
        for component in path.string.split(separator: "/", omittingEmptySubsequences: false).map(String.init) {
            let here = reached.map { $0.appending(component) } ?? RelativePath(unchecked: component)
            var next = openat(fd, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == EACCES { next = openat(fd, component, SYNCD_O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if next < 0 {
                let failure = errno
                var info = stat()
                let found = fstatat(fd, component, &info, AT_SYMLINK_NOFOLLOW) == 0 ? FileStatus(info) : nil
                close(fd)
                throw LocalFolderError.cannotEnter(here, found: found, errno: failure)
            }
            close(fd)
            fd = next
            reached = here
        }
        return fd
    }

    /// Refuses a path that could name something outside the folder (made unchecked from
    /// untrusted input): `..`, empty components, absolute, NUL, too long.
    func check(_ path: RelativePath) throws(LocalFolderError) {
        guard path.isWellFormed else {
            throw LocalFolderError(.refusedPath, nil, "refused path \(String(reflecting: path.string)): not a path inside the folder")
        }
    }
}

/// A folder of the synced folder, open; closed when released.
public final class OpenFolder: Sendable {
    public let fd: Int32
    /// Where it is (nil: the root).
    public let path: RelativePath?

    init(fd: Int32, path: RelativePath?) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// What is at `name` in this folder (nil: nothing), links not followed.
    public func status(_ name: String) -> FileStatus? {
        var info = stat()
        return fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 ? FileStatus(info) : nil
    }

    func child(_ name: String) -> RelativePath {
        path.map { $0.appending(name) } ?? RelativePath(unchecked: name)
    }
}

/// A path in the synced folder could not be used safely.
public struct LocalFolderError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// A symbolic link (or a FIFO, socket, device) stands where a folder or file is needed:
        /// nothing is written through it. ``LocalFolderError/path`` is where it is.
        case obstructed
        /// A file stands where a folder is needed.
        case notAFolder
        /// Nothing is there.
        case missing
        /// The path could name something outside the folder (`..`, absolute, NUL, too long).
        case refusedPath
        case io
    }

    public let code: Code
    /// The item in the way (for ``Code/obstructed``, ``Code/notAFolder``, ``Code/missing``).
    public let path: RelativePath?
    public let message: String

    init(_ code: Code, _ path: RelativePath?, _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    public var description: String { message }

    static func cannotEnter(_ here: RelativePath, found: FileStatus?, errno failure: Int32) -> LocalFolderError {
        switch found?.kind {
        case .symlink?:
            LocalFolderError(.obstructed, here, "\(here) is a symbolic link; nothing is written through it")
        case .other?:
            LocalFolderError(.obstructed, here, "\(here) is not a regular file or folder; nothing is written through it")
        case .file?:
            LocalFolderError(.notAFolder, here, "\(here) is a file, not a folder")
        case nil:
            LocalFolderError(failure == ENOENT ? .missing : .io, here, "cannot open folder \(here): \(String(cString: strerror(failure)))")
        case .folder?:
            LocalFolderError(.io, here, "cannot open folder \(here): \(String(cString: strerror(failure)))")
        }
    }
}
