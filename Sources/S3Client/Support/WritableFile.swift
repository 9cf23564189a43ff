import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A file being written from a response body, created or truncated on open. Writes run on
/// NIO's blocking-I/O thread pool.
final class WritableFile: Sendable {
    let descriptor: Int32
    let path: String

    init(path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw S3Error.fileIO("cannot open \(path) for writing: \(String(cString: strerror(errno)))")
        }
        descriptor = fd
        self.path = path
    }

    deinit {
        close(descriptor)
    }

    /// Appends the buffer's readable bytes.
    func write(_ buffer: ByteBuffer) async throws {
        try await NIOThreadPool.singleton.runIfActive { [self] in
            try buffer.withUnsafeReadableBytes { bytes in
                var done = 0
                while done < bytes.count {
                    let n = Glibc.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw S3Error.fileIO("cannot write \(path): \(String(cString: strerror(errno)))")
                    }
                    done += n
                }
            }
        }
    }

    /// Flushes the file to disk.
    func finish() async throws {
        try await NIOThreadPool.singleton.runIfActive { [self] in
            guard fsync(descriptor) == 0 else {
                throw S3Error.fileIO("cannot flush \(path): \(String(cString: strerror(errno)))")
            }
        }
    }
}
