import ArgumentParser
import Foundation
import SyncAPI
import SyncDaemon
import SyncEngine

/// `syncd exclude add PATH`, `syncd exclude remove PATH`, `syncd exclude list`: selective sync.
struct ExcludeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exclude",
        abstract: "Choose folders this device does not keep (selective sync): they stay on the server and on other devices.",
        discussion: """
            An excluded folder's local copy is removed once everything in it is on the server (a \
            change not yet uploaded is never lost), and nothing is deleted on the server. A folder \
            made here later with the same name is not merged: it is renamed "NAME (selective sync \
            conflict)" and syncs under that name. `[sync] exclude = ["PATH", ...]` in config.toml \
            excludes folders too.
            """,
        subcommands: [Add.self, Remove.self, List.self],
        defaultSubcommand: List.self
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Stop keeping a folder on this device.")
        @OptionGroup var pathOptions: PathOptions
        @Argument(help: "Folders inside the synced folder.") var paths: [String]

        func run() throws {
            let context = try CommandContext(paths: pathOptions.paths)
            let journal = try context.journal()
            let excluded = context.settings.excludedFolders
            let current = try excluded.all()
            for typed in paths {
                let path = try ExcludeCommand.folder(typed, context)
                if let outer = current.first(where: { path == $0 || path.isInside($0) }) {
                    say("\(path) is excluded already" + (outer == path ? "" : " (inside \(outer))"))
                    continue
                }
                let remote = try journal?.entry(path).remote
                if remote?.kind == .file {
                    throw ValidationError("\(path) is a file: selective sync excludes folders (a .syncignore rule leaves a file out)")
                }
                try excluded.update(path, excluded: true)
                if journal != nil && remote == nil {
                    say("\(path) is excluded; the server has no such folder (yet): a local folder there is left alone and not synced")
                } else {
                    say("\(path) is excluded: its local copy goes once everything in it is on the server, which keeps it")
                }
            }
            ExcludeCommand.tellDaemon(pathOptions.paths)
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Keep an excluded folder on this device again (it downloads)."
        )
        @OptionGroup var pathOptions: PathOptions
        @Argument(help: "Excluded folders.") var paths: [String]

        func run() throws {
            let context = try CommandContext(paths: pathOptions.paths)
            let excluded = context.settings.excludedFolders
            for typed in paths {
                let path = try ExcludeCommand.folder(typed, context)
                if excluded.configured.contains(path) {
                    throw ValidationError("\(path) is excluded in \(pathOptions.paths.configFile) (`[sync] exclude`): remove it there")
                }
                guard try excluded.update(path, excluded: false) else { throw ValidationError("\(path) is not excluded") }
                say("\(path) is included again: it downloads")
            }
            ExcludeCommand.tellDaemon(pathOptions.paths)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the excluded folders.")
        @OptionGroup var pathOptions: PathOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let context = try CommandContext(paths: pathOptions.paths)
            let journal = try context.journal()
            let excluded = context.settings.excludedFolders
            let folders = try excluded.all().map { path in
                DaemonStatus.ExcludedFolder(
                    path: path.string,
                    configured: excluded.configured.contains(path),
                    leaving: try journal?.holdsLocalCopy(of: path) ?? false
                )
            }
            if json { return try printJSON(folders) }
            if folders.isEmpty { say("no folder is excluded: this device keeps everything") }
            for folder in folders { say(StatusText.excludedLine(folder)) }
        }
    }

    /// The folder's path relative to the synced folder; the folder itself cannot be excluded.
    static func folder(_ typed: String, _ context: CommandContext) throws -> RelativePath {
        let remote = try context.remotePath(typed)
        guard let path = ExcludedFolders.path(remote) else { throw ValidationError("the synced folder itself cannot be excluded") }
        return path
    }

    /// A running daemon looks again now; one that does not run reads the list when it starts.
    static func tellDaemon(_ paths: DaemonPaths) {
        if (try? ControlClient.send(ControlRequest(command: .rescan), to: paths.controlSocket)) == nil {
            say("(syncd is not running: this takes effect when it starts)")
        }
    }
}
