import Foundation
import Glibc
import Synchronization

/// What systemd's side of `NOTIFY_SOCKET` sees: a Unix datagram socket the test binds, each
/// message kept with the time it came.
final class NotifyListener: Sendable {
    let path: String
    private let fd: Int32
    private let received = Mutex<[(at: ContinuousClock.Instant, message: String)]>([])
    private let stopped = Atomic<Bool>(false)

    init(path: String) throws {
        self.path = path
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, bound == 0 else { throw HarnessError("cannot bind \(path): \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 8192)
            while !stopped.load(ordering: .relaxed) {
                let n = recv(fd, &buffer, buffer.count, 0)
                guard n > 0 else { continue }  // the 100 ms timeout: look at `stopped` again
                let text = String(decoding: buffer[0..<n], as: UTF8.self)
                received.withLock { $0.append((ContinuousClock.now, text)) }
            }
            close(fd)  // closed by the thread that reads it, once told to stop
        }
        thread.start()
    }

    /// Every message so far; one datagram may hold several `KEY=value` lines.
    var messages: [(at: ContinuousClock.Instant, message: String)] { received.withLock { $0 } }

    /// The lines, in order.
    var lines: [String] { messages.flatMap { $0.message.split(separator: "\n").map(String.init) } }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        unlink(path)
    }
}
