import ArgumentParser
import Foundation
import SyncAPI
import SyncDaemon

/// `syncd history PATH`: the versions the server keeps of a file.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the versions the server keeps of a file (newest first).",
        discussion: "Bring one back with `syncd restore PATH --revision N`."
    )

    @OptionGroup var pathOptions: PathOptions
    @Argument(help: "A file inside the synced folder.") var path: String
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let context = try CommandContext(paths: pathOptions.paths)
        let versions = try await explained { try await Self.versions(of: try context.remotePath(path), context: context) }
        if json { return try printJSON(versions) }
        for (index, version) in versions.enumerated() {
            let current = index == 0 ? "  (current)" : ""
            say("revision \(version.revision)  \(localTime(version.modifiedAt))  \(humanSize(version.size))\(current)")
        }
    }

    static func versions(of remote: String, context: CommandContext) async throws -> [VersionInfo] {
        let versions: [VersionInfo] = try await context.api.get("/versions?path=" + ServerAPI.queryValue(remote))
        return versions.sorted { $0.revision > $1.revision }
    }
}

/// `syncd restore PATH --revision N`: an old version becomes the current one (a new revision).
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Make an old version of a file the current one; every device then gets it.",
        discussion: "The version replaced stays in the history: a restore can be undone by another."
    )

    @OptionGroup var pathOptions: PathOptions
    @Argument(help: "A file inside the synced folder.") var path: String
    @Option(help: "The revision to bring back (see `syncd history`).") var revision: Int64

    func validate() throws {
        guard revision > 0 else { throw ValidationError("--revision takes a revision number from `syncd history`") }
    }

    func run() async throws {
        let context = try CommandContext(paths: pathOptions.paths)
        let remote = try context.remotePath(path)
        let restored: FileMetadata? = try await explained {
            let versions = try await HistoryCommand.versions(of: remote, context: context)
            guard let current = versions.first else { throw ValidationError("the server has no versions of \(remote)") }
            guard versions.contains(where: { $0.revision == revision }) else {
                throw ValidationError("\(remote) has no revision \(revision); `syncd history \(path)` lists them")
            }
            if current.revision == revision { return nil }
            return try await context.api.post(
                "/versions/restore",
                RestoreVersionRequest(path: remote, revision: revision, baseRevision: current.revision)
            )
        }
        guard let restored else { return say("revision \(revision) is the current version of \(remote) already") }
        say("\(remote): revision \(revision) restored as revision \(restored.revision); syncd brings it to this folder")
    }
}

/// `syncd trash` and `syncd trash restore PATH`.
struct TrashCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trash",
        abstract: "List what was deleted (kept 30 days on the server), or put an item back.",
        subcommands: [List.self, Restore.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the trash, newest deletion first.")
        @OptionGroup var pathOptions: PathOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let context = try CommandContext(paths: pathOptions.paths)
            let items: [TrashedItem] = try await explained { try await context.api.get("/trash") }
            let sorted = items.sorted { ($0.trashedAt, $0.path) > ($1.trashedAt, $1.path) }
            if json { return try printJSON(sorted) }
            if sorted.isEmpty { say("the trash is empty") }
            for item in sorted {
                let size = item.kind == .folder ? "folder" : humanSize(item.size)
                say(
                    "\(localTime(item.trashedAt))  \(size.padding(toLength: 9, withPad: " ", startingAt: 0)) \(item.path)\(item.kind == .folder ? "/" : "")"
                )
            }
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restore",
            abstract: "Put a deleted file or folder back where it was (the latest deletion of that path)."
        )
        @OptionGroup var pathOptions: PathOptions
        @Argument(help: "The path it had, inside the synced folder.") var path: String

        func run() async throws {
            let context = try CommandContext(paths: pathOptions.paths)
            let remote = try context.remotePath(path)
            let restored: FileMetadata = try await explained {
                let items: [TrashedItem] = try await context.api.get("/trash")
                guard let item = items.filter({ $0.path == remote }).max(by: { $0.trashedAt < $1.trashedAt }) else {
                    throw ValidationError("\(remote) is not in the trash (`syncd trash` lists it)")
                }
                return try await context.api.post("/trash/restore", RestoreTrashRequest(id: item.id))
            }
            say("\(restored.path) restored; syncd brings it to this folder")
        }
    }
}
