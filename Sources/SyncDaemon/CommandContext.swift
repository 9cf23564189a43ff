public import Foundation
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
        folder = URL(fileURLWithPath: settings.folder).standardizedFileURL.path
    }

    /// The server's path for what the user typed: a path inside the folder (absolute, or
    /// relative to the working directory when that is inside the folder), else a path relative
    /// to the folder's top. "" (or the folder itself) is the top. A path outside the folder, or
    /// one the server would refuse, is an error that says so.
    public func remotePath(_ typed: String, workingDirectory: String = FileManager.default.currentDirectoryPath) throws -> String {
        let cwd = URL(fileURLWithPath: workingDirectory).standardizedFileURL.path
        var absolute: String
        if typed.hasPrefix("/") {
            absolute = typed
        } else if cwd == folder || cwd.hasPrefix(folder + "/") {
            absolute = cwd + "/" + typed
        } else {
            absolute = folder + "/" + typed
        }
        absolute = URL(fileURLWithPath: absolute).standardizedFileURL.path
        if absolute == folder { return "" }
        guard absolute.hasPrefix(folder + "/") else { throw ControlError("\(typed) is not inside the synced folder \(folder)") }
        let relative = String(absolute.dropFirst(folder.count + 1))
        guard RelativePath.isWellFormed(relative) else { throw ControlError("\(typed) is not a path syncd can sync") }
        return relative
    }

    /// The local path of a server path.
    public func localPath(_ remote: String) -> String { remote.isEmpty ? folder : folder + "/" + remote }

    /// The journal, read-only (nil before the first `syncd run`).
    public func journal() -> JournalReader? { try? JournalReader(path: settings.paths.journalFile) }

    /// The running daemon's status (nil when it does not run).
    public func daemonStatus() -> DaemonStatus? {
        (try? ControlClient.send(ControlRequest(command: .status), to: settings.paths.controlSocket))?.status
    }
}
