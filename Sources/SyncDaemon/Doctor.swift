import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import NIOHTTP1
import SyncAPI
import SyncEngine

/// `syncd doctor`: checks what syncd depends on and says what to do about each problem.
public enum Doctor {
    public struct Check: Sendable, Equatable, Codable {
        public enum Outcome: String, Sendable, Codable { case ok, warning, problem }
        public var name: String
        public var outcome: Outcome
        public var detail: String
    }

    public static func run(folder: String, paths: DaemonPaths, server: String?, token: String?) async -> [Check] {
        var checks = [checkFolder(folder), checkWatches(folder: folder, limits: InotifyLimits.current())]
        checks += await checkServer(server: server, token: token)
        checks.append(checkJournal(paths.journalFile))
        checks.append(checkSpace(folder, name: "free space (folder)"))
        checks.append(checkSpace(paths.stateDir, name: "free space (state)"))
        return checks
    }

    static func checkFolder(_ folder: String) -> Check {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            return Check(
                name: "folder",
                outcome: .problem,
                detail: "\(folder) does not exist or is not a folder (not mounted?); syncd will not start"
            )
        }
        guard access(folder, R_OK | W_OK | X_OK) == 0 else {
            return Check(name: "folder", outcome: .problem, detail: "\(folder) is not readable and writable by this user")
        }
        return Check(name: "folder", outcome: .ok, detail: folder)
    }

    /// The inotify watch limit of this user (the smaller of the system's and the user
    /// namespace's).
    struct InotifyLimits: Equatable {
        var watches: Int?

        static func current() -> InotifyLimits {
            let values = ["/proc/sys/fs/inotify/max_user_watches", "/proc/sys/user/max_inotify_watches"].compactMap { path in
                (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
            return InotifyLimits(watches: values.min())
        }
    }

    /// One watch per folder: compares the folder count with the limit.
    static func checkWatches(folder: String, limits: InotifyLimits) -> Check {
        let folders = countFolders(folder)
        guard let limit = limits.watches else {
            return Check(name: "inotify watches", outcome: .warning, detail: "cannot read the watch limit; \(folders) folders need one watch each")
        }
        let suggested = max(524_288, folders * 2)
        let fix =
            "raise it: sudo sysctl fs.inotify.max_user_watches=\(suggested), and keep it with "
            + "echo fs.inotify.max_user_watches=\(suggested) | sudo tee /etc/sysctl.d/90-syncd.conf"
        if folders > limit {
            return Check(
                name: "inotify watches",
                outcome: .problem,
                detail:
                    "\(folders) folders need a watch each but the limit is \(limit): changes in the rest are found only by periodic rescans; \(fix)"
            )
        }
        if folders * 10 > limit * 8 {
            return Check(
                name: "inotify watches",
                outcome: .warning,
                detail: "\(folders) folders use most of the limit of \(limit) (shared with other programs); \(fix)"
            )
        }
        return Check(name: "inotify watches", outcome: .ok, detail: "\(folders) folders, limit \(limit)")
    }

    static func countFolders(_ root: String) -> Int {
        var count = 0
        var pending = [root]
        while let folder = pending.popLast() {
            count += 1
            guard let dir = opendir(folder) else { continue }
            defer { closedir(dir) }
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
                if name == "." || name == ".." || name == ".syncd" { continue }
                if entry.pointee.d_type == UInt8(DT_DIR) { pending.append(folder + "/" + name) }
            }
        }
        return count
    }

    /// Reachability, the token, and the clock against the server's.
    static func checkServer(server: String?, token: String?) async -> [Check] {
        guard let server, let token else {
            return [Check(name: "server", outcome: .problem, detail: "no server or device token: run `syncd login --server URL`")]
        }
        var checks: [Check] = []
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: server + "/healthz"), timeout: .seconds(10))
            let sent = Date()
            if let header = response.headers.first(name: "Date"), let serverDate = httpDate(header) {
                let skew = sent.timeIntervalSince(serverDate)
                let detail = String(format: "this machine is %.0f s %@ the server", abs(skew), skew >= 0 ? "ahead of" : "behind")
                // Presigned URLs tolerate 15 minutes of skew (SigV4); well before that, say so.
                checks.append(
                    Check(
                        name: "clock",
                        outcome: abs(skew) > 300 ? .problem : abs(skew) > 30 ? .warning : .ok,
                        detail: abs(skew) > 30 ? detail + "; enable time sync (timedatectl set-ntp true)" : detail
                    )
                )
            } else {
                checks.append(Check(name: "clock", outcome: .warning, detail: "the server sent no Date header to compare with"))
            }
        } catch {
            return [Check(name: "server", outcome: .problem, detail: "\(server) cannot be reached: \(error)")]
        }
        do {
            let who: SessionInfo = try await ServerAPI(baseURL: server, token: token).get("/session", timeout: .seconds(10))
            checks.insert(Check(name: "server", outcome: .ok, detail: "\(server), signed in as \(who.email)"), at: 0)
        } catch let error as ServerError where error.status == 401 {
            checks.insert(
                Check(name: "server", outcome: .problem, detail: "the device token is unknown or revoked: run `syncd login --server \(server)`"),
                at: 0
            )
        } catch {
            checks.insert(Check(name: "server", outcome: .problem, detail: "\(error)"), at: 0)
        }
        return checks
    }

    static func checkJournal(_ path: String) -> Check {
        guard FileManager.default.fileExists(atPath: path) else { return Check(name: "journal", outcome: .ok, detail: "none yet (first run)") }
        do {
            let problems = try Journal(path: path).integrityProblems()
            if problems.isEmpty { return Check(name: "journal", outcome: .ok, detail: path) }
            return Check(
                name: "journal",
                outcome: .problem,
                detail:
                    "\(path) is damaged (\(problems.prefix(3).joined(separator: "; "))); stop syncd, move the file away and start again: it rebuilds by comparing the folder with the server (conflicts keep both versions)"
            )
        } catch {
            return Check(name: "journal", outcome: .problem, detail: "\(path) cannot be opened: \(error)")
        }
    }

    static func checkSpace(_ path: String, name: String) -> Check {
        var info = statvfs()
        var target = path
        while statvfs(target, &info) != 0 {
            guard let slash = target.lastIndex(of: "/"), slash > target.startIndex else { break }
            target = String(target[..<slash])
        }
        let free = Int64(info.f_bavail) * Int64(info.f_frsize)
        let total = Int64(info.f_blocks) * Int64(info.f_frsize)
        let detail = "\(ByteCount.human(free)) free of \(ByteCount.human(total)) at \(target)"
        if free < 256 << 20 { return Check(name: name, outcome: .problem, detail: detail + ": downloads need room for a temporary copy") }
        if total > 0 && free * 20 < total { return Check(name: name, outcome: .warning, detail: detail) }
        return Check(name: name, outcome: .ok, detail: detail)
    }

    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }

    /// The report for people: one line a check.
    public static func render(_ checks: [Check]) -> String {
        checks.map { check in
            let mark =
                switch check.outcome {
                case .ok: "ok     "
                case .warning: "warning"
                case .problem: "PROBLEM"
                }
            return "\(mark)  \(check.name): \(check.detail)"
        }.joined(separator: "\n")
    }
}
