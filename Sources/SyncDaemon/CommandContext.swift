public import Foundation
import Glibc
import SyncAPI
public import SyncEngine
import TOMLConfig

/// What the commands that read or change the account (`ls`, `history`, `share`, `logout`, …)
/// work from: the settings `syncd run` would use, the server's API with this device's token,
/// and the folder, to turn the paths a user types into the server's paths.
public struct CommandContext: Sendable {
    public let settings: DaemonSettings
    public let api: ServerAPI
    /// The synced folder, absolute and without a trailing slash.
    public let folder: String

    public init(paths: DaemonPaths, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let config = try ConfigSource.load(path: FileManager.default.fileExists(atPath: paths.configFile) ? paths.configFile : nil)
        settings = try DaemonSettings.load(
            config: config,
            paths: paths,
            credentials: try Credentials.load(from: paths.credentialsFile),
            environment: environment
        )
        api = ServerAPI(baseURL: settings.server, token: settings.token)
        // Symbolic links resolved: the working directory (getcwd) is, and the two must compare.
        folder = Self.resolved(Self.lexical(settings.folder))
    }

    /// The server's path for what the user typed: a path inside the folder (absolute, or
    /// relative to the working directory when that is inside the folder), else a path relative
    /// to the folder's top. "" (or the folder itself) is the top. A path outside the folder, or
    /// one the server would refuse, is an error that says so.
    ///
    /// `.` and `..` are taken as written (as a shell's `cd` does); the folders above the last
    /// name are then resolved through symbolic links, the last name is not (a link in the
    /// folder is named as itself).
    public func remotePath(_ typed: String, workingDirectory: String = FileManager.default.currentDirectoryPath) throws -> String {
        let cwd = Self.resolved(Self.lexical(workingDirectory))
        var absolute: String
        if typed.hasPrefix("/") {
            absolute = typed
        } else if cwd == folder || cwd.hasPrefix(folder + "/") {
            absolute = cwd + "/" + typed
        } else {
            absolute = folder + "/" + typed
        }
        absolute = Self.lexical(absolute)
        if absolute != "/" {
            let cut = absolute.lastIndex(of: "/")!
            let parent = Self.resolved(cut == absolute.startIndex ? "/" : String(absolute[..<cut]))
            absolute = (parent == "/" ? "" : parent) + absolute[cut...]
        }
        if absolute == folder { return "" }
        guard absolute.hasPrefix(folder + "/") else { throw ControlError("\(typed) is not inside the synced folder \(folder)") }
        let relative = String(absolute.dropFirst(folder.count + 1))
        guard RelativePath.isWellFormed(relative) else { throw ControlError("\(typed) is not a path syncd can sync") }
        return relative
    }

    /// An absolute path with `.`, `..` and repeated slashes taken out, as written.
    static func lexical(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                _ = parts.popLast()
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The path with its longest existing ancestor resolved through symbolic links (`realpath`),
    /// the names below it as they are.
    static func resolved(_ path: String) -> String {
        var head = path.split(separator: "/").map(String.init)
        var tail: [String] = []
        while true {
            let candidate = "/" + head.joined(separator: "/")
            if let real = realpath(candidate, nil) {
                defer { free(real) }
                let base = String(cString: real)
                return tail.isEmpty ? base : (base == "/" ? "" : base) + "/" + tail.reversed().joined(separator: "/")
            }
            guard let last = head.popLast() else { return path }
            tail.append(last)
        }
    }

    /// The local path of a server path.
    public func localPath(_ remote: String) -> String { remote.isEmpty ? folder : folder + "/" + remote }

    /// The journal, read-only (nil before the first `syncd run`; a journal that cannot be read
    /// is an error, not an empty one).
    public func journal() throws -> JournalReader? {
        guard FileManager.default.fileExists(atPath: settings.paths.journalFile) else { return nil }
        return try JournalReader(path: settings.paths.journalFile)
    }

    /// The running daemon's status (nil when it does not run).
    public func daemonStatus() -> DaemonStatus? {
        ControlClient.runningStatus(at: settings.paths.controlSocket)
    }
}
