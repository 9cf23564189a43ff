import Foundation
import Glibc
import Logging
public import SyncEngine
import Synchronization
import TOMLConfig

/// The folders this device does not sync (selective sync): `[sync] exclude = [...]` in
/// `config.toml`, and the ones `syncd exclude add` recorded in the state folder
/// (`excluded-folders.json`, a JSON list of paths relative to the synced folder; JSON because
/// a name may hold a newline). The daemon reads them at the start of every pass; the engine
/// does the rest (`FolderSync+Selective.swift`).
public struct ExcludedFolders: Sendable {
    /// From the configuration: only the configuration removes them.
    public var configured: [RelativePath]
    /// The list `syncd exclude` keeps.
    public let file: String

    public init(configured: [RelativePath], file: String) {
        self.configured = configured
        self.file = file
    }

    /// A path as the configuration or a user gives it: relative to the synced folder, slashes
    /// at either end dropped; the folder itself cannot be excluded.
    public static func path(_ text: String) -> RelativePath? {
        var trimmed = Substring(text)
        while trimmed.hasPrefix("/") { trimmed.removeFirst() }
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        return RelativePath(String(trimmed))
    }

    /// The folders `syncd exclude add` recorded (none when the file is missing).
    public func added() throws -> [RelativePath] {
        guard let data = FileManager.default.contents(atPath: file) else { return [] }
        guard let texts = try? JSONDecoder().decode([String].self, from: data) else {
            throw ConfigError("\(file) is not a JSON list of paths; fix or remove it")
        }
        return try texts.map { text in
            guard let path = Self.path(text) else { throw ConfigError("\(file) names \"\(text)\", which is no path inside the folder") }
            return path
        }
    }

    /// Every excluded folder, configured first, each once.
    public func all() throws -> [RelativePath] {
        var seen = Set<RelativePath>()
        return (configured + (try added())).filter { seen.insert($0).inserted }
    }

    /// Adds or removes `path` in the recorded list, under an exclusive lock on the file (two
    /// commands at once do not lose one's change), written atomically.
    /// - Returns: whether the list changed.
    @discardableResult
    public func update(_ path: RelativePath, excluded: Bool) throws -> Bool {
        let directory = (file as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let lockFile = open(file + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockFile >= 0 else { throw ConfigError("cannot open \(file).lock: \(String(cString: strerror(errno)))") }
        defer { close(lockFile) }
        guard flock(lockFile, LOCK_EX) == 0 else { throw ConfigError("cannot lock \(file).lock: \(String(cString: strerror(errno)))") }
        var list = try added()
        if excluded {
            guard !list.contains(path) else { return false }
            list.append(path)
        } else {
            guard let index = list.firstIndex(of: path) else { return false }
            list.remove(at: index)
        }
        let data = try JSONEncoder().encode(list.map(\.string).sorted())
        let temporary = file + ".new"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]),
            rename(temporary, file) == 0
        else { throw ConfigError("cannot write \(file): \(String(cString: strerror(errno)))") }
        return true
    }

    /// The list as each pass reads it. One that cannot be read keeps the last one read (reading
    /// it as empty would bring every excluded folder back), with an error in the log.
    final class Source: Sendable {
        let folders: ExcludedFolders
        let logger: Logger
        private let last = Mutex<[RelativePath]?>(nil)

        init(_ folders: ExcludedFolders, logger: Logger) {
            self.folders = folders
            self.logger = logger
        }

        func current() -> [RelativePath] {
            last.withLock { last in
                do {
                    last = try folders.all()
                } catch {
                    logger.error("\(error); the excluded folders stay as they were")
                }
                return last ?? folders.configured
            }
        }
    }
}
