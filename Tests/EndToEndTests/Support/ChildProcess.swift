import CLinuxShims
import Foundation
import Glibc

/// A child process started with `posix_spawn`: its own process group, default signal
/// dispositions and an empty signal mask (Foundation's `Process` started from a pool thread
/// passes on blocked signals, and a child that cannot see SIGTERM cannot shut down cleanly),
/// output appended to a log file.
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    let logPath: String
    let name: String
    private let lock = NSLock()
    private var exitStatus: Int32?

    init(_ executable: String, _ arguments: [String], environment: [String: String], log: String, name: String) throws {
        self.logPath = log
        self.name = name
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of the test process goes with it: a pipe another test holds open (the
        // fault proxy's stdin, say) would otherwise stay open in this child and its
        // descendants (chromedriver's Chromium lives long), and that test would never see EOF.
        syncd_spawn_close_from(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw HarnessError("cannot start \(executable): \(String(cString: strerror(result)))") }
        pid = child
    }

    /// Whether it still runs (reaps it if it ended).
    var isRunning: Bool {
        lock.withLock {
            if exitStatus != nil { return false }
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid {
                exitStatus = status
                return false
            }
            return reaped == 0
        }
    }

    func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// SIGTERM, then waits for the exit (SIGKILL after `grace`). Returns the wait status.
    @discardableResult
    func stop(grace: Duration = .seconds(20)) async -> Int32? {
        signal(SIGTERM)
        return await waitForExit(timeout: grace)
            ?? {
                kill(-pid, SIGKILL)
                return nil
            }()
    }

    /// `kill -9`, as a crash or an OOM kill would.
    func crash() async {
        kill(-pid, SIGKILL)
        _ = await waitForExit(timeout: .seconds(10))
    }

    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !isRunning { return lock.withLock { exitStatus } }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit {
        if isRunning { kill(-pid, SIGKILL) }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
