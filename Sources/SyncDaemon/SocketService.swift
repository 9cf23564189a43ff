import Foundation
import Glibc
import ServiceLifecycle
import Synchronization

/// A listening socket served one connection at a time, as a `Service`: `accept` blocks, so the
/// loop runs on a thread of its own, started when the service runs and ended by the graceful
/// shutdown or cancellation (``stop()``), after which the thread closes the socket itself —
/// its number cannot be reused by another socket while an `accept` on it is pending.
final class SocketService: Service, Sendable {
    private let descriptor: Int32
    private let name: String
    private let serve: @Sendable (Int32) -> Void
    private let stopped: @Sendable () -> Void
    private let stopRequested = Atomic<Bool>(false)
    /// Set once the socket is shut down: only then may the loop close it.
    private let stopping = Atomic<Bool>(false)

    /// - Parameters:
    ///   - descriptor: a listening socket, owned from now on.
    ///   - serve: answers one connection (which it must not close).
    ///   - stopped: called once, as the service stops (to remove a socket file).
    init(descriptor: Int32, name: String, serve: @escaping @Sendable (Int32) -> Void, stopped: @escaping @Sendable () -> Void = {}) {
        self.descriptor = descriptor
        self.name = name
        self.serve = serve
        self.stopped = stopped
    }

    func run() async {
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withCheckedContinuation { (ended: CheckedContinuation<Void, Never>) in
                    let thread = Thread { [self] in
                        acceptLoop()
                        ended.resume()
                    }
                    thread.name = name
                    thread.start()
                }
            } onGracefulShutdown: {
                self.stop()
            }
        } onCancel: {
            self.stop()
        }
    }

    /// Stops accepting; the loop then ends. Once only: after that the descriptor is not ours.
    func stop() {
        guard !stopRequested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(descriptor, Int32(SHUT_RDWR))
        stopping.store(true, ordering: .releasing)
        stopped()
    }

    private func acceptLoop() {
        while true {
            let client = accept(descriptor, nil, nil)
            if client >= 0 {
                serve(client)
                close(client)
                continue
            }
            if stopping.load(ordering: .acquiring) { break }
            // EINTR, a connection aborted before it was taken, or no descriptors left for now:
            // none of them ends the service.
            if errno != EINTR { usleep(10_000) }
        }
        close(descriptor)
    }
}
