import CSystemd
import Foundation
import Synchronization

/// Tells systemd how the daemon is doing (`Type=notify`): `READY=1` once the first pass is
/// done, `STATUS=` with the status line whenever it changes, `WATCHDOG=1` while the engine
/// shows signs of life, `RELOADING=1`/`STOPPING=1` around reloads and shutdown. Without
/// `NOTIFY_SOCKET` (a terminal, a test) every call is a no-op.
public final class SystemdNotifier: Sendable {
    /// Half the watchdog period, when systemd set one (`WatchdogSec=`).
    public let watchdogInterval: Duration?
    private let lastStatus = Mutex<String>("")
    private let ready = Atomic<Bool>(false)
    /// Monotonic nanoseconds of the engine's last sign of life.
    private let lastAlive = Atomic<Int64>(0)

    public init() {
        var usec: UInt64 = 0
        watchdogInterval = sd_watchdog_enabled(0, &usec) > 0 && usec > 0 ? .microseconds(Int64(usec / 2)) : nil
        alive()
    }

    /// The first pass is done: the folder is scanned and caught up.
    public func markReady() {
        if !ready.exchange(true, ordering: .relaxed) { send("READY=1") }
    }

    public func status(_ line: String) {
        let changed = lastStatus.withLock { last in
            defer { last = line }
            return last != line
        }
        if changed { send("STATUS=" + line.replacingOccurrences(of: "\n", with: " ")) }
    }

    public func reloading() {
        send("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicNanoseconds() / 1000)")
    }

    public func reloaded() { send("READY=1") }

    public func stopping() { send("STOPPING=1") }

    /// The engine did something (a loop turn, a finished step, bytes moved).
    public func alive() {
        lastAlive.store(Self.monotonicNanoseconds(), ordering: .relaxed)
    }

    /// Sends `WATCHDOG=1` every half period while the engine was alive within the period; a
    /// hung engine stops the pings and systemd restarts the service.
    public func runWatchdog() async {
        guard let interval = watchdogInterval else { return }
        let period = Int64(interval.components.seconds) * 2_000_000_000 + interval.components.attoseconds / 500_000_000
        while !Task.isCancelled {
            if Self.monotonicNanoseconds() - lastAlive.load(ordering: .relaxed) < period { send("WATCHDOG=1") }
            try? await Task.sleep(for: interval)
        }
    }

    private func send(_ state: String) {
        _ = state.withCString { sd_notify(0, $0) }
    }

    static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
