import Crypto
import Dispatch
import Glibc
import SyncAPI
import Synchronization

/// A file's content identity (the block hash of ``ContentIdentity``), read in 1 MiB chunks:
/// memory stays flat whatever the size. A file of several blocks is hashed a block per thread.
enum ContentHash {
    /// The read size (not the identity's block size).
    static let blockSize = 1 << 20

    /// What one pass over a file found.
    struct Result {
        /// The content identity, lower-case hex.
        var hex: String
        /// Bytes read.
        var bytes: Int64
        /// The SHA-256 of each block of the identity, in order.
        var blockDigests: [[UInt8]]
    }

    /// The hex content identity of everything `fd` reads from its current offset to the end.
    static func hash(fd: Int32) throws(LocalFileError) -> Result {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 64)
        defer { buffer.deallocate() }
        return try hash(fd: fd, buffer: buffer)
    }

    /// The same, reading through a caller's buffer (a scan hashes thousands of files with one).
    static func hash(fd: Int32, buffer: UnsafeMutableRawBufferPointer) throws(LocalFileError) -> Result {
        // The identity's block size follows from the size, so it is taken before reading.
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw LocalFileError(.io, "stat failed: \(String(cString: strerror(errno)))") }
        let offset = lseek(fd, 0, SEEK_CUR)
        let expected = max(0, Int64(info.st_size) - Int64(max(0, offset)))
        if offset == 0, ContentIdentity.blockCount(forFileSize: expected) > 1, hashingThreads > 1 {
            return try hashBlocks(fd: fd, size: expected, threads: hashingThreads)
        }
        var hasher = ContentHasher(fileSize: expected)
        var total: Int64 = 0
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw LocalFileError(.io, "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            total += Int64(n)
        }
        guard let result = hasher.finalize() else {
            throw LocalFileError(.changedSinceScan, "the file changed size while it was hashed (\(expected) bytes expected, \(total) read)")
        }
        return Result(hex: result.identity, bytes: total, blockDigests: result.blockDigests)
    }

    /// Threads a file of several blocks is hashed on: the blocks are independent, so a big
    /// file's hash (on the way to its upload, when S3 is idle) takes a fraction of one core's time.
    static let hashingThreads = max(1, min(8, sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// The identity of the first `size` bytes of `fd` and nothing after, its blocks read with
    /// `pread` and hashed on `threads` threads at once. A block that reads short, or a byte past
    /// `size`, means the file changed while it was read.
    static func hashBlocks(fd: Int32, size: Int64, threads: Int) throws(LocalFileError) -> Result {
        let count = ContentIdentity.blockCount(forFileSize: size)
        let work = BlockWork(count: count)
        DispatchQueue.concurrentPerform(iterations: min(threads, count)) { _ in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 64)
            defer { buffer.deallocate() }
            while let number = work.take() {
                do throws(LocalFileError) {
                    work.finish(number, digest: try hashBlock(fd: fd, range: ContentIdentity.range(ofBlock: number, fileSize: size), buffer: buffer))
                } catch {
                    work.fail(error)
                }
            }
        }
        let digests = try work.digests()
        var past: UInt8 = 0
        while true {
            let n = pread(fd, &past, 1, off_t(size))
            if n == 0 { break }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw LocalFileError(.io, "read failed: \(String(cString: strerror(errno)))") }
            throw LocalFileError(.changedSinceScan, "the file changed size while it was hashed (more than \(size) bytes)")
        }
        return Result(hex: ContentIdentity.identity(blockDigests: digests), bytes: size, blockDigests: digests)
    }

    private static func hashBlock(fd: Int32, range: Range<Int64>, buffer: UnsafeMutableRawBufferPointer) throws(LocalFileError) -> [UInt8] {
        var sha = SHA256()
        var at = range.lowerBound
        while at < range.upperBound {
            let n = pread(fd, buffer.baseAddress, Int(min(Int64(buffer.count), range.upperBound - at)), off_t(at))
            if n < 0 {
                if errno == EINTR { continue }
                throw LocalFileError(.io, "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                throw LocalFileError(.changedSinceScan, "the file changed size while it was hashed (it ends at \(at) bytes)")
            }
            sha.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            at += Int64(n)
        }
        return Array(sha.finalize())
    }

    static func hash(path: String) throws(LocalFileError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw LocalFileError(.io, "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        return try hash(fd: fd).hex
    }
}

/// A failure touching the local folder.
public struct LocalFileError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable {
        case io
        /// The file changed after it was scanned: nothing was overwritten.
        case changedSinceScan
        /// The downloaded bytes do not have the expected SHA-256: nothing was installed.
        case hashMismatch
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// The blocks of one file shared out among hashing threads: each takes the next number, and
/// the first failure stops the others from taking more.
private final class BlockWork: Sendable {
    private let next = Atomic<Int>(1)
    private let count: Int
    private let results: Mutex<(digests: [[UInt8]], failure: LocalFileError?)>

    init(count: Int) {
        self.count = count
        results = Mutex((Array(repeating: [], count: count), nil))
    }

    /// The next block number to hash (1-based), or nil when none is left or one failed.
    func take() -> Int? {
        let number = next.add(1, ordering: .relaxed).oldValue
        guard number <= count, results.withLock({ $0.failure == nil }) else { return nil }
        return number
    }

    func finish(_ number: Int, digest: [UInt8]) {
        results.withLock { $0.digests[number - 1] = digest }
    }

    func fail(_ error: LocalFileError) {
        results.withLock { if $0.failure == nil { $0.failure = error } }
    }

    /// Every block's digest in order, or the first failure.
    func digests() throws(LocalFileError) -> [[UInt8]] {
        let (digests, failure) = results.withLock { ($0.digests, $0.failure) }
        if let failure { throw failure }
        return digests
    }
}
