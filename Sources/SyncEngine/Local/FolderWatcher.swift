import Foundation
import Glibc
import Synchronization

/// Watches the synced folder with inotify and turns kernel events into rescan hints.
///
/// Events are hints, never facts: each names a path whose subtree a rescan should look at.
/// Every folder gets its own watch; a new folder gets watches as soon as it appears and is
/// itself hinted, so that files created in it before its watch existed are still found. A
/// rename inside the folder arrives as `IN_MOVED_FROM` + `IN_MOVED_TO` with one cookie and is
/// reported as a move. `IN_Q_OVERFLOW` (the kernel dropped events) means "rescan everything".
/// Running out of watches (`ENOSPC`) is reported once with the sysctl to raise; the folder is
/// then covered by periodic rescans.
public final class FolderWatcher: Sendable {
    /// What the watcher saw.
    public enum Hint: Sendable, Equatable {
        /// Something at or under this path changed (nil: the folder root).
        case changed(RelativePath?)
        /// A change at this path is complete as far as the kernel can tell: a file closed after
        /// writing (`IN_CLOSE_WRITE`), an item moved in from outside or from an ignored name
        /// (a lone `IN_MOVED_TO`: an atomic save's last step). A deletion or a rename inside the
        /// folder is often the first step of a save (git, safe-write editors), so it is not.
        case finished(RelativePath)
        /// An item was renamed within the folder.
        case moved(from: RelativePath, to: RelativePath)
        /// Events were lost: only a full rescan can tell.
        case overflow
        /// The watch limit is reached: part of the folder is not watched.
        case watchLimitReached(String)
    }

    public let root: String
    let ignore: IgnoreRules
    let inotify: Int32
    /// A pipe whose write end ``stop()`` writes to, to wake the reading thread.
    let wakeup: (read: Int32, write: Int32)
    private let state: Mutex<State>

    struct State {
        var paths: [Int32: RelativePath?] = [:]
        var continuation: AsyncStream<Hint>.Continuation?
        /// Hints from before ``hints()`` was called (a watch limit hit while setting up).
        var early: [Hint] = []
        var limitReported = false
        var stopped = false
    }

    static let mask: UInt32 =
        UInt32(IN_CREATE | IN_DELETE | IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB)
        | UInt32(IN_DELETE_SELF | IN_MOVE_SELF) | UInt32(IN_ONLYDIR) | UInt32(IN_DONT_FOLLOW) | UInt32(IN_EXCL_UNLINK)

    /// Creates the inotify instance and watches every folder. Events queue in the kernel from
    /// now on; ``hints()`` starts reading them.
    public init(root: String, ignore: IgnoreRules) throws(LocalFileError) {
        let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard fd >= 0 else {
            let limit =
                errno == EMFILE
                ? " (inotify instance limit reached; raise it: sysctl fs.inotify.max_user_instances=1024)" : ""
            throw LocalFileError(.io, "cannot start watching \(root): \(String(cString: strerror(errno)))\(limit)")
        }
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            close(fd)
            throw LocalFileError(.io, "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        self.root = root
        self.ignore = ignore
        inotify = fd
        wakeup = (ends[0], ends[1])
        state = Mutex(State())
        addWatches(under: nil)
    }

    deinit {
        close(inotify)
        close(wakeup.read)
        close(wakeup.write)
    }

    /// The hints, read on a dedicated thread until ``stop()``.
    public func hints() -> AsyncStream<Hint> {
        let (stream, continuation) = AsyncStream<Hint>.makeStream(bufferingPolicy: .bufferingNewest(100_000))
        state.withLock { state in
            state.continuation = continuation
            for hint in state.early { continuation.yield(hint) }
            state.early = []
        }
        let thread = Thread { [self] in readLoop() }
        thread.name = "syncd-inotify"
        thread.start()
        return stream
    }

    /// Stops reading and finishes the hint stream.
    public func stop() {
        state.withLock { $0.stopped = true }
        var one: UInt8 = 1
        _ = write(wakeup.write, &one, 1)
    }

    /// How many folders are watched.
    public var watchCount: Int { state.withLock { $0.paths.count } }

    // MARK: Watches

    /// Watches `folder` (nil: the root) and every folder inside it.
    func addWatches(under folder: RelativePath?) {
        var pending: [RelativePath?] = [folder]
        while let next = pending.popLast() {
            let absolute = next.map { root + "/" + $0.string } ?? root
            let wd = inotify_add_watch(inotify, absolute, Self.mask)
            if wd < 0 {
                if errno == ENOSPC { reportWatchLimit() }
                continue
            }
            state.withLock { $0.paths[wd] = next }
            guard let dir = opendir(absolute) else { continue }
            defer { closedir(dir) }
            while let item = readdir(dir) {
                guard item.pointee.d_type == UInt8(DT_DIR) else { continue }
                let bytes = withUnsafeBytes(of: item.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
                guard bytes != [46], bytes != [46, 46], let name = String(validating: bytes, as: UTF8.self) else { continue }
                let path = next.map { $0.appending(name) } ?? RelativePath(unchecked: name)
                if !ignore.isIgnored(path, isFolder: true) { pending.append(path) }
            }
        }
    }

    private func reportWatchLimit() {
        let first = state.withLock { state -> Bool in
            defer { state.limitReported = true }
            return !state.limitReported
        }
        guard first else { return }
        let current = readSmallFile("/proc/sys/fs/inotify/max_user_watches")
            .flatMap { Int(String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) }
        let suggested = max(524_288, (current ?? 0) * 2)
        let message =
            "inotify watch limit reached (\(current.map(String.init) ?? "unknown")); part of \(root) is not watched "
            + "and is covered by periodic rescans only. Raise it: sysctl fs.inotify.max_user_watches=\(suggested) "
            + "(and add fs.inotify.max_user_watches=\(suggested) to /etc/sysctl.d/90-syncd.conf to keep it)"
        emit(.watchLimitReached(message))
    }

    private func emit(_ hint: Hint) {
        state.withLock { state in
            if let continuation = state.continuation { continuation.yield(hint) } else { state.early.append(hint) }
        }
    }

    // MARK: Reading

    private func readLoop() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 8)
        defer { buffer.deallocate() }
        var pendingMoves: [UInt32: (RelativePath, Bool)] = [:]
        while !state.withLock({ $0.stopped }) {
            var fds = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeup.read, events: Int16(POLLIN), revents: 0)]
            // A lone IN_MOVED_FROM is a move out of the folder once no IN_MOVED_TO follows soon.
            let ready = poll(&fds, 2, pendingMoves.isEmpty ? -1 : 50)
            if ready == 0 {
                for (_, (path, _)) in pendingMoves { emit(.changed(path)) }
                pendingMoves = [:]
                continue
            }
            if ready < 0 { if errno == EINTR { continue } else { break } }
            if fds[1].revents != 0 { break }
            let n = read(inotify, buffer.baseAddress, buffer.count)
            if n <= 0 { continue }
            var offset = 0
            while offset + 16 <= n {
                let wd = buffer.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                let mask = buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                let cookie = buffer.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
                let length = Int(buffer.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                let nameBytes = UnsafeRawBufferPointer(rebasing: buffer[(offset + 16)..<(offset + 16 + length)]).prefix { $0 != 0 }
                offset += 16 + length
                handle(wd: wd, mask: mask, cookie: cookie, name: Array(nameBytes), pendingMoves: &pendingMoves)
            }
        }
        for (_, (path, _)) in pendingMoves { emit(.changed(path)) }
        state.withLock { $0.continuation?.finish() }
    }

    private func handle(wd: Int32, mask: UInt32, cookie: UInt32, name: [UInt8], pendingMoves: inout [UInt32: (RelativePath, Bool)]) {
        if mask & UInt32(IN_Q_OVERFLOW) != 0 {
            emit(.overflow)
            return
        }
        guard let base = state.withLock({ $0.paths[wd] }) else { return }
        if mask & UInt32(IN_IGNORED) != 0 {
            state.withLock { _ = $0.paths.removeValue(forKey: wd) }
            return
        }
        guard !name.isEmpty else {
            if mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF) != 0 { emit(.changed(base)) }
            return
        }
        guard let text = String(validating: name, as: UTF8.self) else {
            emit(.changed(base))  // the scan reports the name
            return
        }
        let path = base.map { $0.appending(text) } ?? RelativePath(unchecked: text)
        let isFolder = mask & UInt32(IN_ISDIR) != 0
        guard !ignore.isIgnored(path, isFolder: isFolder) else { return }

        if mask & UInt32(IN_MOVED_FROM) != 0 {
            pendingMoves[cookie] = (path, isFolder)
            return
        }
        if mask & UInt32(IN_MOVED_TO) != 0, let (from, wasFolder) = pendingMoves.removeValue(forKey: cookie) {
            if wasFolder { renameWatches(from: from, to: path) }
            emit(.moved(from: from, to: path))
            return
        }
        if isFolder && mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 {
            addWatches(under: path)
        }
        emit(mask & UInt32(IN_CLOSE_WRITE | IN_MOVED_TO) != 0 ? .finished(path) : .changed(path))
    }

    /// Keeps the watch table's paths right after a folder was renamed within the folder.
    private func renameWatches(from: RelativePath, to: RelativePath) {
        state.withLock { state in
            for (wd, path) in state.paths {
                if let path, path == from || path.isInside(from) { state.paths[wd] = path.rebased(from: from, to: to) }
            }
        }
    }
}
