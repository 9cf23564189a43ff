/// Turns a stream of watch hints into few rescan requests.
///
/// Watch events are hints, never facts: each says "something under this folder changed". The
/// first hint after the folder has been quiet (for at least `debounce`) waits only `settle` for
/// company — an editor's save is a few events within milliseconds — so a single change goes up
/// at once; only `settleFinished` when the latest hint of every pending path says its change is
/// complete (a file closed after writing, an item moved in from elsewhere), and the full
/// `settle` while any of them may still be open for writing. While the folder is busy, the
/// coalescer waits until it has been quiet for `debounce`, but never longer than `maxDelay`
/// after the first hint (a file written for minutes still gets synced). Then it asks for the
/// smallest set of subtrees that covers every hint. An overflow, or more distinct folders than
/// `maxFolders`, asks for the whole folder.
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
    public let settle: Duration
    /// The wait for company after a quiet spell when the latest hint was a finished change.
    public let settleFinished: Duration
    public let maxDelay: Duration
    public let maxFolders: Int

    private var root = false
    /// The server reported a change: a pass with no local rescan, at once.
    private var remote = false
    private var folders: Set<RelativePath> = []
    private var first: Duration?
    private var last: Duration?
    /// The latest local hint, kept across requests: how long the folder has been quiet.
    private var latestHint: Duration?
    /// The pending hints began after a quiet spell: they wait only `settle` (or `settleFinished`).
    private var quietStart = false
    /// Pending paths whose latest hint was not a finished change (nil: the root, an overflow):
    /// while any is left, a quiet start waits the full `settle`.
    private var unfinished: Set<RelativePath?> = []

    public init(
        debounce: Duration = .milliseconds(300),
        settle: Duration = .milliseconds(20),
        settleFinished: Duration = .milliseconds(5),
        maxDelay: Duration = .seconds(3),
        maxFolders: Int = 256
    ) {
        self.debounce = debounce
        self.settle = min(settle, debounce)
        self.settleFinished = min(settleFinished, self.settle)
        self.maxDelay = maxDelay
        self.maxFolders = maxFolders
    }

    /// Something changed under `folder` (nil: the folder root itself); `finished`: the event
    /// says the change is complete (``FolderWatcher/Hint/finished(_:)``).
    public mutating func changed(under folder: RelativePath?, at now: Duration, finished: Bool = false) {
        touchLocally(now)
        if finished { unfinished.remove(folder) } else { unfinished.insert(folder) }
        if let folder { folders.insert(folder) } else { root = true }
        if folders.count > maxFolders { root = true }
    }

    /// The server's change feed moved: the remote side needs a fresh look, the folder does not.
    /// Due at once (the feed already batched the changes).
    public mutating func remoteChanged(at now: Duration) {
        remote = true
        touch(now)
    }

    /// The watcher lost events: only a full rescan can tell what changed.
    public mutating func overflowed(at now: Duration) {
        touchLocally(now)
        unfinished.insert(nil)
        root = true
    }

    /// When to call ``take(at:)`` next, or nil when nothing is pending.
    public var deadline: Duration? {
        guard let first, let last else { return nil }
        if remote && !root && folders.isEmpty { return first }
        return min(last + (quietStart ? (unfinished.isEmpty ? settleFinished : settle) : debounce), first + maxDelay)
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
            quietStart = false
            unfinished = []
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

    /// A hint from the folder (called before it is added): the first local hint of a request
    /// decides its pace — `settle` after a quiet spell, `debounce` while the folder is busy.
    private mutating func touchLocally(_ now: Duration) {
        if !root && folders.isEmpty { quietStart = latestHint.map { now - $0 >= debounce } ?? true }
        latestHint = now
        touch(now)
    }
}
