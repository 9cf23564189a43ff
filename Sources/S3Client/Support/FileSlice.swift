import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A file opened for reading, shared by the concurrent part uploads of one file.
///
/// Reads are `pread`s on NIO's blocking-I/O thread pool, never on the cooperative pool.
final class ReadableFile: Sendable {
    let descriptor: Int32
    let path: String
    /// The size when the file was opened.
    let size: Int64

    init(path: String) throws {
        // A link is refused, not followed: callers name the file itself (the daemon hands
        // over paths through its folder's descriptor and relies on this).
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            throw S3Error.fileIO("cannot open \(path) for reading: \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw S3Error.fileIO("cannot stat \(path): \(message)")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw S3Error.fileIO("\(path) is not a regular file")
        }
        descriptor = fd
        self.path = path
        size = Int64(info.st_size)
    }

    deinit {
        close(descriptor)
    }

    /// Reads exactly `count` bytes at `offset`; a file that shrank is an error, not short data.
    func read(offset: Int64, count: Int) async throws -> ByteBuffer {
        try await NIOThreadPool.singleton.runIfActive { [self] in
            try self.readBlocking(offset: offset, count: count)
        }
    }

    /// Feeds the bytes of a range to `body` in chunks, on the thread pool; for checksums.
    func scan(range: Range<Int64>, chunkSize: Int = 1 << 20, _ body: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) async throws {
        try await NIOThreadPool.singleton.runIfActive { [self] in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
            defer { buffer.deallocate() }
            var offset = range.lowerBound
            while offset < range.upperBound {
                let want = Int(min(Int64(chunkSize), range.upperBound - offset))
                try self.fill(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), at: offset)
                body(UnsafeRawBufferPointer(rebasing: buffer[0..<want]))
                offset += Int64(want)
            }
        }
    }

    private func readBlocking(offset: Int64, count: Int) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer in
            try self.fill(UnsafeMutableRawBufferPointer(rebasing: pointer[0..<count]), at: offset)
            return count
        }
        return buffer
    }

    private func fill(_ target: UnsafeMutableRawBufferPointer, at offset: Int64) throws {
        var done = 0
        while done < target.count {
            let n = pread(descriptor, target.baseAddress! + done, target.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw S3Error.fileIO("cannot read \(path) at offset \(offset + Int64(done)): \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                throw S3Error.fileIO("\(path) shrank while being read (expected \(target.count) bytes at offset \(offset))")
            }
            done += n
        }
    }
}

/// A byte range of a file, streamed as request body chunks of `chunkSize`.
struct FileSlice: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let file: ReadableFile
    let range: Range<Int64>
    var chunkSize: Int = 1 << 20

    var count: Int64 { range.upperBound - range.lowerBound }

    struct AsyncIterator: AsyncIteratorProtocol {
        let file: ReadableFile
        var offset: Int64
        let end: Int64
        let chunkSize: Int

        mutating func next() async throws -> ByteBuffer? {
            guard offset < end else { return nil }
            let count = Int(Swift.min(Int64(chunkSize), end - offset))
            let chunk = try await file.read(offset: offset, count: count)
            offset += Int64(count)
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(file: file, offset: range.lowerBound, end: range.upperBound, chunkSize: chunkSize)
    }
}
