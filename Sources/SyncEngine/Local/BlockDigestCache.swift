import SyncAPI
import Synchronization

/// The block digests of contents the scanner hashed lately, by content identity, so that an
/// upload signs its parts (and a one-block PUT) with them instead of reading and hashing the
/// file a second time.
///
/// Keyed by what the digests hash to, not by path or file status: a content identity is the
/// SHA-256 of its block digests, so digests that hash to it are that content's, whatever file
/// they came from and however old they are. Each lookup checks exactly that. A file rewritten
/// after its scan is still caught where it always was: its upload source is refused when the
/// file's status changed, and S3 refuses a part whose bytes do not have the digest it carries.
public final class BlockDigestCache: Sendable {
    /// Block digests kept (32 bytes each, and what holds them): two generations of up to half of
    /// it each, the older dropped whole. Counted in digests, not identities, so that a few huge
    /// files weigh what many small ones do.
    public let capacity: Int
    private let state = Mutex(State())

    private struct State {
        var current: [String: [[UInt8]]] = [:]
        var currentDigests = 0
        var older: [String: [[UInt8]]] = [:]
    }

    public init(capacity: Int = 65_536) {
        self.capacity = max(2, capacity)
    }

    /// Remembers the block digests of the content `identity` (lower-case hex).
    public func insert(_ digests: [[UInt8]], for identity: String) {
        let half = capacity / 2
        state.withLock { state in
            guard state.current[identity] == nil else { return }
            if state.currentDigests + digests.count > half, !state.current.isEmpty {
                state.older = state.current
                state.current = [:]
                state.currentDigests = 0
            }
            state.current[identity] = digests
            state.currentDigests += digests.count
        }
    }

    /// The block digests of the content `identity` of `fileSize` bytes, when they are at hand
    /// and do hash to that identity with that size's number of blocks; nil otherwise.
    public func digests(for identity: String, fileSize: Int64) -> [[UInt8]]? {
        state.withLock { $0.current[identity] ?? $0.older[identity] }.flatMap { Self.verified($0, identity: identity, fileSize: fileSize) }
    }

    /// `digests` when they are the block digests of the content `identity` of `fileSize` bytes
    /// (one SHA-256 digest per block of that size, hashing to the identity); nil otherwise.
    public static func verified(_ digests: [[UInt8]], identity: String, fileSize: Int64) -> [[UInt8]]? {
        guard fileSize >= 0, digests.count == ContentIdentity.blockCount(forFileSize: fileSize), digests.allSatisfy({ $0.count == 32 }),
            ContentIdentity.identity(blockDigests: digests) == identity
        else { return nil }
        return digests
    }

    /// How many identities are held (tests).
    var count: Int { state.withLock { $0.current.count + $0.older.count } }

    /// How many block digests are held (tests).
    var digestCount: Int { state.withLock { $0.currentDigests + $0.older.values.reduce(0) { $0 + $1.count } } }
}
