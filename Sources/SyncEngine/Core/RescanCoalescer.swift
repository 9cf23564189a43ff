/// Turns a stream of watch hints into few rescan requests.
///
/// Watch events are hints, never facts: each says "something under this folder changed". The
/// coalescer waits until the folder has been quiet for `debounce` (an editor's save is several
/// events), but never longer than `maxDelay` after the first hint (a file written for minutes
/// still gets synced), then asks for the smallest set of subtrees that covers every hint. An
/// overflow, or more distinct folders than `maxFolders`, asks for the whole folder.
///
/// Pure: time is a parameter (a `Duration` since any fixed origin).
public struct RescanCoalescer: Sendable {
    /// What to rescan.
    public enum Request: Sendable, Equatable {
        /// Everything.
        case root
        /// These subtrees, none inside another, sorted.
        case subtrees([RelativePath])
    }

    public let debounce: Duration
    public let maxDelay: Duration
    public let maxFolders: Int

    private var root = false
    /// The server reported a change: a pass with no local rescan, at once.
    private var remote = false
    private var folders: Set<RelativePath> = []
    private var first: Duration?
    private var last: Duration?

    public init(debounce: Duration = .milliseconds(300), maxDelay: Duration = .seconds(3), maxFolders: Int = 256) {
        self.debounce = debounce
        self.maxDelay = maxDelay
        self.maxFolders = maxFolders
    }

    /// Something changed under `folder` (nil: the folder root itself).
    public mutating func changed(under folder: RelativePath?, at now: Duration) {
        if let folder { folders.insert(folder) } else { root = true }
        if folders.count > maxFolders { root = true }
        touch(now)
    }

    /// The server's change feed moved: the remote side needs a fresh look, the folder does not.
    /// Due at once (the feed already batched the changes).
    public mutating func remoteChanged(at now: Duration) {
        remote = true
        touch(now)
    }

    /// The watcher lost events: only a full rescan can tell what changed.
    public mutating func overflowed(at now: Duration) {
        root = true
        touch(now)
    }

    /// When to call ``take(at:)`` next, or nil when nothing is pending.
    public var deadline: Duration? {
        guard let first, let last else { return nil }
        if remote && !root && folders.isEmpty { return first }
        return min(last + debounce, first + maxDelay)
    }

    /// The request, if one is due; pending hints are then cleared.
    public mutating func take(at now: Duration) -> Request? {
        guard let deadline, now >= deadline else { return nil }
        defer {
            root = false
            remote = false
            folders = []
            first = nil
            last = nil
        }
        if root { return .root }
        let sorted = folders.sorted()
        var outermost: [RelativePath] = []
        for folder in sorted where !(outermost.last.map { folder == $0 || folder.isInside($0) } ?? false) {
            outermost.append(folder)
        }
        return .subtrees(outermost)
    }

    private mutating func touch(_ now: Duration) {
        if first == nil { first = now }
        last = now
    }
}
