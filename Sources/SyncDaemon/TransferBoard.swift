public import Foundation
import Synchronization

/// The transfers in flight, with their progress, and the byte totals since start: what
/// `syncd status` shows and the metrics count.
public final class TransferBoard: Sendable {
    public struct Transfer: Codable, Sendable, Equatable {
        public var path: String
        /// `upload` or `download`.
        public var direction: String
        public var size: Int64
        public var done: Int64
        public var startedAt: Date
    }

    private let transfers = Mutex<[String: Transfer]>([:])
    private let uploaded = Atomic<Int64>(0)
    private let downloaded = Atomic<Int64>(0)

    /// Called whenever bytes move (the watchdog's sign of life during long transfers).
    private let onProgress: @Sendable () -> Void

    public init(onProgress: @escaping @Sendable () -> Void = {}) {
        self.onProgress = onProgress
    }

    func start(_ path: String, direction: String, size: Int64) {
        transfers.withLock { $0[direction + ":" + path] = Transfer(path: path, direction: direction, size: size, done: 0, startedAt: Date()) }
    }

    /// Bytes moved (negative: a failed attempt's bytes taken back).
    func add(_ path: String, direction: String, bytes: Int64) {
        onProgress()
        transfers.withLock { $0[direction + ":" + path]?.done += bytes }
        if direction == "upload" {
            uploaded.add(bytes, ordering: .relaxed)
        } else {
            downloaded.add(bytes, ordering: .relaxed)
        }
    }

    func end(_ path: String, direction: String) {
        _ = transfers.withLock { $0.removeValue(forKey: direction + ":" + path) }
    }

    /// In flight now, longest-running first.
    public var current: [Transfer] {
        transfers.withLock { Array($0.values) }.sorted { $0.startedAt < $1.startedAt }
    }

    public var bytesUploaded: Int64 { uploaded.load(ordering: .relaxed) }
    public var bytesDownloaded: Int64 { downloaded.load(ordering: .relaxed) }
}
