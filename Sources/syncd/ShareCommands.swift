import ArgumentParser
import Foundation
import ServiceSupport
import SyncAPI
import SyncDaemon
import TOMLConfig

/// `syncd share PATH`, `syncd share list`, `syncd share revoke ID`.
struct ShareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "share",
        abstract: "Make a link anyone (or whoever has its password) can open to download a file or a folder; list and revoke links.",
        subcommands: [Create.self, List.self, Revoke.self],
        defaultSubcommand: Create.self
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Make a link to a file or a folder and print it (`syncd share PATH` for short)."
        )
        @OptionGroup var pathOptions: PathOptions
        @Argument(help: "A file or a folder inside the synced folder.") var path: String
        @Option(help: "How long the link works: 30m, 12h, 7d, 2w, or never (if the server allows). Default 7d.") var expires: String?
        @Flag(
            help: ArgumentHelp(
                "Protect the link with a password, read from the first line of standard input (prompted for, unechoed, on a terminal).",
                discussion: "Visitors see nothing of the file before they give it."
            )
        )
        var password = false
        @Option(
            help: ArgumentHelp(
                "Make a file request instead of a link: people without an account drop files into the folder, and see nothing of it.",
                discussion: "The text is what they are asked for (\"Slides for Friday\").",
                valueName: "title"
            )
        )
        var request: String?
        @Option(help: "With --request: the largest file it takes (\"100MB\", \"2GiB\").") var maxSize: String?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if let expires { _ = try lifetimeSeconds(expires) }
            if maxSize != nil && request == nil { throw ValidationError("--max-size goes with --request") }
            if let maxSize { _ = try ByteSize.parse(maxSize, key: "--max-size", minimum: 1) }
        }

        func run() async throws {
            let context = try CommandContext(paths: pathOptions.paths)
            let remote = try context.remotePath(path)
            let seconds = try expires.map(lifetimeSeconds)
            let secret = password ? try readPassword() : nil
            let asked = try request.map { FileRequestSettings(title: $0, maxFileBytes: try ByteSize.parse(maxSize, key: "--max-size", minimum: 1)) }
            let share: ShareInfo = try await explained {
                try await context.api.post("/shares", CreateShareRequest(path: remote, expiresInSeconds: seconds, password: secret, request: asked))
            }
            if json { return try printJSON(share) }
            say(share.url)
            let protected = share.hasPassword ? ", password-protected" : ""
            let kind = share.request.map { "file request \"\($0.title)\" (\(share.id)) into" } ?? "link \(share.id) to"
            FileHandle.standardError.write(Data(displayed("\(kind) \(share.path), \(ShareCommand.expiry(share))\(protected)\n").utf8))
        }

        /// The password: prompted for without echo on a terminal, else the first line of stdin
        /// (never an argument: those show in `ps`).
        private func readPassword() throws -> String {
            let line: String?
            if isatty(STDIN_FILENO) == 1 {
                line = getpass("Password for the link: ").map { String(cString: $0) }
            } else {
                line = readLine(strippingNewline: true)
            }
            guard let line, !line.isEmpty else { throw ValidationError("no password given (--password reads it from standard input)") }
            return line
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List your links, with their views and expiry.")
        @OptionGroup var pathOptions: PathOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let context = try CommandContext(paths: pathOptions.paths)
            let shares: [ShareInfo] = try await explained { try await context.api.get("/shares") }
            if json { return try printJSON(shares) }
            if shares.isEmpty { say("no links") }
            for share in shares {
                say(
                    "\(share.id)  \(share.path)  \(ShareCommand.expiry(share))  \(share.views) view\(share.views == 1 ? "" : "s"), "
                        + (share.request.map { "file request \"\($0.title)\", \(share.uploads) received" }
                            ?? "\(share.downloads) download\(share.downloads == 1 ? "" : "s")")
                        + "\(share.hasPassword ? "  password" : "")\n    \(share.url)"
                )
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke",
            abstract: "Revoke a link: it stops working at once (it stays in `syncd share list` until removed)."
        )
        @OptionGroup var pathOptions: PathOptions
        @Argument(help: "The link's id (from `syncd share list`).") var id: String
        @Flag(help: "Take the link off the list too, with its counts.") var remove = false

        func run() async throws {
            let context = try CommandContext(paths: pathOptions.paths)
            try await explained {
                try await context.api.call("DELETE", "/shares/" + ServerAPI.pathSegment(id) + (remove ? "?remove=true" : ""))
            }
            say(remove ? "link \(id) removed" : "link \(id) revoked")
        }
    }

    static func expiry(_ share: ShareInfo) -> String {
        if share.revoked { return "revoked" }
        guard let at = share.expiresAt else { return "never expires" }
        return at < Date().timeIntervalSince1970 ? "expired \(localTime(at))" : "expires \(localTime(at))"
    }
}

/// `syncd logout`: this device's token is revoked on the server and forgotten here.
struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Disconnect this device: revoke its token on the server, delete it here, and reset the journal.",
        discussion: """
            The folder's files stay. The journal (what was last synced with that account) is \
            set aside too: after `syncd login` to any account, the first pass merges the folder \
            with the server as a first sync does, and never takes files missing from the new \
            account for deletions. Stop `syncd run` first.
            """
    )

    @OptionGroup var pathOptions: PathOptions

    func run() async throws {
        let paths = pathOptions.paths
        if ControlClient.runningStatus(at: paths.controlSocket) != nil {
            throw ValidationError("syncd is running on this device: stop it first (systemctl --user stop syncd)")
        }
        guard let saved = try Credentials.load(from: paths.credentialsFile) else {
            throw ValidationError("not logged in: there is no \(paths.credentialsFile)")
        }
        // The token `syncd run` uses must be the saved one: one from the configuration, the
        // environment or systemd is not this command's to revoke (nor would deleting the file
        // stop it).
        let context = try CommandContext(paths: paths)
        guard context.settings.token == saved.token, context.settings.server == saved.server else {
            throw ValidationError(
                "this device's token comes from server.token, SYNCD_SERVER_TOKEN or systemd's credential, not from `syncd login`: revoke it in the dashboard or with `syncd-server admin revoke-device`"
            )
        }
        let api = ServerAPI(baseURL: saved.server, token: saved.token)
        do {
            let devices: [DeviceInfo] = try await api.get("/devices")
            guard let me = devices.first(where: \.current) else { throw ValidationError("the server does not know this device's token") }
            try await api.call("DELETE", "/devices/" + ServerAPI.pathSegment(me.id))
            say("device \"\(me.name)\" revoked on \(saved.server)")
        } catch let error as ServerError where error.status == 401 {
            say("the server had already revoked this device's token")
        } catch let error as ServerError {
            throw ValidationError("cannot revoke this device on the server (\(error.message)); nothing was deleted here")
        }
        try FileManager.default.removeItem(atPath: paths.credentialsFile)
        say("removed \(paths.credentialsFile)")
        if let kept = try JournalReset.setAside(paths) { say("journal set aside as \(kept); the files in \(context.folder) stay") }
    }
}
