import Glibc
import SyncAPI

/// A file's content identity (the block hash of ``ContentIdentity``), read in 1 MiB chunks in
/// one pass: memory stays flat whatever the size.
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
