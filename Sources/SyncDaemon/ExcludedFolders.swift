import Foundation
import Glibc
import Logging
import ServiceLifecycle
import SyncAPI
public import SyncEngine
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
        guard FileManager.default.fileExists(atPath: file) else { return [] }
        guard let data = FileManager.default.contents(atPath: file) else { throw ConfigError("cannot read \(file)") }
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

    /// The list as each pass reads it. One that cannot be read fails the pass, which says why
    /// (read as empty, it would bring every excluded folder back).
    final class Source: Sendable {
        let folders: ExcludedFolders
        let logger: Logger

        init(_ folders: ExcludedFolders, logger: Logger) {
            self.folders = folders
            self.logger = logger
        }

        func current() throws -> [RelativePath] {
            try folders.all()
        }
    }

    /// Tells the server the excluded folders, for the dashboard's view of devices: when the
    /// daemon starts and whenever the list changes (looked at every 2 s; only a change is sent,
    /// and a failed report is tried again a minute later).
    final class Reporter: Service, Sendable {
        let source: Source
        let api: ServerAPI

        init(_ source: Source, api: ServerAPI) {
            self.source = source
            self.api = api
        }

        func run() async throws {
            do {
                try await cancelWhenGracefulShutdown { try await self.report() }
            } catch is CancellationError {
                // Shutting down.
            }
        }

        private func report() async throws {
            var reported: [RelativePath]?
            var retryAt = ContinuousClock.now
            while !Task.isCancelled {
                if let now = try? source.current(), now != reported, ContinuousClock.now >= retryAt {
                    do {
                        try await api.call("PUT", "/devices/current/excluded-folders", ExcludedFoldersReport(folders: now.map(\.string)))
                        reported = now
                    } catch {
                        source.logger.notice("the server did not take the excluded folders (tried again in a minute): \(error)")
                        retryAt = ContinuousClock.now + .seconds(60)
                    }
                }
                try await Task.sleep(for: .seconds(2))
            }
        }
    }
}
