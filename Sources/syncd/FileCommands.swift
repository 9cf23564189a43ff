import ArgumentParser
import Foundation
import SyncAPI
import SyncDaemon
import SyncEngine

/// `syncd ls [PATH]`: one folder as the server has it, each entry with its state here.
struct LsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List a folder as the server has it, with each entry's sync state on this device.",
        discussion: "Items only on this device (new, not uploaded yet; ignored) are listed too, marked as such."
    )

    @OptionGroup var pathOptions: PathOptions
    @Argument(help: "A folder inside the synced folder (default: its top).") var path: String = ""
    @Flag(help: "Print JSON.") var json = false

    struct Row: Codable {
        var path: String
        var name: String
        var kind: ItemKind
        var size: Int64?
        var revision: Int64?
        var modifiedAt: Double?
        var onServer: Bool
        var state: FileState.State
        var reason: String
    }

    func run() async throws {
        let context = try CommandContext(paths: pathOptions.paths)
        let folder = try context.remotePath(path)
        var items: [FileMetadata] = []
        var after: String?
        try await explained {
            var pages = 0
            repeat {
                // As the daemon bounds the tree's pages: a server that never ends a listing
                // does not keep this command (nor its memory) for ever.
                pages += 1
                guard pages <= 100_000 else { throw ValidationError("the server's listing of \(folder) does not end") }
                var query = "/folder?limit=1000&path=" + ServerAPI.queryValue(folder)
                if let token = after { query += "&after=" + ServerAPI.queryValue(token) }
                let page: ItemPage = try await context.api.get(query)
                // A server whose pages do not advance must not keep this command for ever.
                guard page.next == nil || (page.next != after && !page.items.isEmpty) else {
                    throw ValidationError("the server's listing of \(folder) does not advance")
                }
                items += page.items
                after = page.next
            } while after != nil
        }
        let journal = try context.journal()
        let ignore = FolderScanner.loadIgnoreRules(root: context.folder)
        let daemon = context.daemonStatus()
        var rows: [Row] = []
        for item in items {
            let state = try FileState.of(
                item.path,
                kind: item.kind,
                mode: context.settings.mode,
                folder: context.folder,
                journal: journal,
                ignore: ignore,
                daemon: daemon
            )
            rows.append(
                Row(
                    path: item.path,
                    name: String(item.path.split(separator: "/").last ?? ""),
                    kind: item.kind,
                    size: item.kind == .file ? item.size : nil,
                    revision: item.revision,
                    modifiedAt: item.modifiedAt,
                    onServer: true,
                    state: state.state,
                    reason: state.reason
                )
            )
        }
        // What this device has that the server does not (yet).
        let listed = Set(items.map { String($0.path.split(separator: "/").last ?? "") })
        // Only a real folder's children: never a linked folder's, which is not synced.
        let here = FileStatus.of(context.localPath(folder))?.kind == .folder
        let names = here ? (try? FileManager.default.contentsOfDirectory(atPath: context.localPath(folder))) ?? [] : []
        for name in names.sorted() where !listed.contains(name) {
            let child = folder.isEmpty ? name : folder + "/" + name
            guard let status = FileStatus.of(context.localPath(child)) else { continue }
            let state = try FileState.of(child, mode: context.settings.mode, folder: context.folder, journal: journal, ignore: ignore, daemon: daemon)
            rows.append(
                Row(
                    path: child,
                    name: name,
                    kind: status.kind == .folder ? .folder : .file,
                    size: status.kind == .file ? status.size : nil,
                    revision: nil,
                    modifiedAt: Double(status.mtimeNs) / 1e9,
                    onServer: false,
                    state: state.state,
                    reason: state.reason
                )
            )
        }
        if json { return try printJSON(rows) }
        if rows.isEmpty { say("(empty)") }
        for row in rows {
            let size = row.kind == .folder ? "-" : humanSize(row.size ?? 0)
            let name = row.kind == .folder ? row.name + "/" : row.name
            let when = row.modifiedAt.map(localTime) ?? ""
            say(
                "\(row.state.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) \(size.padding(toLength: 9, withPad: " ", startingAt: 0)) \(when)  \(name)"
            )
        }
    }
}

/// `syncd filestatus PATH`: one path's state here, and why.
struct FileStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filestatus",
        abstract: "Say whether a file is up to date, syncing, a conflict, ignored or failing, and why.",
        discussion: "Exits 1 when the path is neither in the folder nor on the server."
    )

    @OptionGroup var pathOptions: PathOptions
    @Argument(help: "A file or folder inside the synced folder.") var path: String
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let context = try CommandContext(paths: pathOptions.paths)
        let remote = try context.remotePath(path)
        let state = try FileState.of(
            remote,
            mode: context.settings.mode,
            folder: context.folder,
            journal: try context.journal(),
            ignore: FolderScanner.loadIgnoreRules(root: context.folder),
            daemon: context.daemonStatus()
        )
        if json {
            try printJSON(state)
        } else {
            say("\(state.path.isEmpty ? context.folder : state.path): \(state.state.rawValue) — \(state.reason)")
        }
        if state.state == .notFound { throw ExitCode(1) }
    }
}

/// `syncd conflicts`: the conflicted copies in the folder, each beside the version it conflicts with.
struct ConflictsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts",
        abstract: "List conflicted copies, with the paths of both versions to open and compare.",
        discussion: """
            When a file changed here and elsewhere before either synced, both versions are kept: the \
            other one at the file's path, this device's as "NAME (conflicted copy from HOST DATE)". \
            Keep the one you want (or merge them) and delete the other; the deletion syncs.
            """
    )

    @OptionGroup var pathOptions: PathOptions
    @Flag(help: "Print JSON.") var json = false

    struct Row: Codable {
        var path: String
        var copy: String
        var host: String
        var at: String
        var file: String
        var copyFile: String
    }

    func run() async throws {
        let context = try CommandContext(paths: pathOptions.paths)
        let copies = try context.journal()?.conflictedCopies() ?? []
        let rows = copies.compactMap { copy -> Row? in
            guard let (original, host, stamp) = ConflictName.original(of: copy) else { return nil }
            return Row(
                path: original.string,
                copy: copy.string,
                host: host,
                at: stamp,
                file: context.localPath(original.string),
                copyFile: context.localPath(copy.string)
            )
        }
        if json { return try printJSON(rows) }
        if rows.isEmpty { say("no conflicted copies") }
        for row in rows {
            say("\(row.path)\n    current version: \(row.file)\n    conflicted copy: \(row.copyFile) (kept by \(row.host) at \(row.at))")
        }
    }
}

/// `syncd activity`: what syncd did lately on this device.
struct ActivityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activity",
        abstract: "Show recent uploads, downloads, moves, deletions and conflicts on this device (newest first).",
        discussion: "The journal keeps the last \(Activity.kept) entries."
    )

    @OptionGroup var pathOptions: PathOptions
    @Option(name: .shortAndLong, help: "How many entries (1-\(Activity.kept)).") var count = 20
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard (1...Activity.kept).contains(count) else { throw ValidationError("--count takes 1 to \(Activity.kept)") }
    }

    func run() async throws {
        let context = try CommandContext(paths: pathOptions.paths)
        let entries = try context.journal()?.activity(limit: count) ?? []
        if json { return try printJSON(entries) }
        if entries.isEmpty { say("nothing synced yet") }
        for entry in entries {
            var line =
                "\(localTime(entry.at.timeIntervalSince1970))  \(entry.action.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)) \(entry.path)"
            if let to = entry.toPath { line += entry.action == .conflict ? " (this device's version kept as \(to))" : " -> \(to)" }
            if let bytes = entry.bytes { line += " (\(humanSize(bytes))" + (entry.revision.map { ", revision \($0)" } ?? "") + ")" }
            say(line)
        }
    }
}
