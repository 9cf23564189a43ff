import ArgumentParser
import Foundation
import Logging
import ServiceSupport
import SyncAPI
import SyncDaemon
import TOMLConfig

/// Where this syncd keeps its configuration and state (XDG by default).
struct PathOptions: ParsableArguments {
    @Option(help: "Configuration folder (default: $XDG_CONFIG_HOME/syncd, ~/.config/syncd).")
    var configDir: String?
    @Option(help: "State folder: journal and control socket (default: $XDG_STATE_HOME/syncd, ~/.local/state/syncd).")
    var stateDir: String?

    var paths: DaemonPaths {
        var paths = DaemonPaths.standard()
        if let configDir { paths.configDir = configDir }
        if let stateDir { paths.stateDir = stateDir }
        return paths
    }
}

/// `syncd login --server URL`: connects this machine to the server.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Connect this machine to a syncd server.",
        discussion: """
            Shows a code and a link; open the link in a browser where you are signed in, check the \
            code and approve. The device token is saved (mode 0600) in the configuration folder. \
            With --token-stdin, a token from `syncd-server admin issue-token` is saved instead \
            (headless machines).
            """
    )

    @OptionGroup var pathOptions: PathOptions
    @Option(help: "The server's address, e.g. https://files.example.com.") var server: String
    @Option(help: "How this device appears in the device list (default: syncd on HOSTNAME).") var name: String?
    @Flag(help: "Read an admin-issued device token from standard input instead of approving in a browser.") var tokenStdin = false

    func run() async throws {
        let paths = pathOptions.paths
        if ControlClient.runningStatus(at: paths.controlSocket) != nil {
            throw ValidationError("syncd is running on this device: stop it first, then log in")
        }
        let previous = try? Credentials.load(from: paths.credentialsFile)
        let credentials: Credentials
        if tokenStdin {
            guard let line = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces), !line.isEmpty else {
                throw ValidationError("no token on standard input")
            }
            let who = try await DeviceLogin.check(server: server, token: line)
            credentials = Credentials(server: server, token: line, deviceId: nil, account: who.email)
            print(DeviceLogin.connectedMessage(email: who.email, server: server))
        } else {
            let deviceName = name ?? "syncd on \(ProcessInfo.processInfo.hostName)"
            let granted = try await DeviceLogin.run(server: server, name: deviceName) { codes in
                print("To connect this device, open\n\n    \(codes.verificationURLComplete)\n")
                print("and check that it shows the code  \(codes.userCode)  (valid \(codes.expiresIn / 60) minutes). Waiting…")
                fflush(nil)
            }
            credentials = Credentials(server: server, token: granted.token, deviceId: granted.deviceId, account: granted.email)
            print("Approved. " + DeviceLogin.connectedMessage(email: granted.email ?? "an unknown account", server: server))
        }
        // The journal says what was last synced with one account on one server. With another
        // (or one this device cannot tell is the same), the folder's files missing there would
        // read as deletions: the journal is set aside and the next run is a first sync, which
        // merges and deletes nothing.
        let sameAccount = previous.map { $0.server == credentials.server && $0.account != nil && $0.account == credentials.account } ?? false
        if !sameAccount, let kept = try JournalReset.setAside(paths) {
            print("This device's journal was for \(previous.map { "\($0.account ?? "an unknown account") on \($0.server)" } ?? "an earlier login");")
            print("it is kept as \(kept), and the next run merges the folder with this account as a first sync (nothing is deleted).")
        }
        try credentials.save(to: paths.credentialsFile)
        print("Saved to \(paths.credentialsFile). Start syncing with: syncd run")
    }
}

/// `syncd run`: the daemon.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Keep the folder in sync until stopped (SIGTERM or Ctrl-C)."
    )

    @OptionGroup var pathOptions: PathOptions
    @Option(help: "The synced folder (default: sync.folder in config.toml, else ~/Sync).") var folder: String?
    @Option(help: "sync (two-way, the default) or backup (push only; local deletions move remote files to the trash).") var mode: String?
    @Flag(help: "Print what the first pass would do (uploads, downloads, moves, deletions, conflicts) and exit; nothing is changed.")
    var dryRun = false
    @Flag(help: "With --dry-run: print JSON.") var json = false

    func validate() throws {
        if json, !dryRun { throw ValidationError("--json goes with --dry-run (the daemon itself logs to the journal or stderr)") }
    }

    func run() async throws {
        let paths = pathOptions.paths
        let settings: DaemonSettings
        do {
            let config = try ConfigSource.load(path: FileManager.default.fileExists(atPath: paths.configFile) ? paths.configFile : nil)
            settings = try DaemonSettings.load(
                config: config,
                paths: paths,
                credentials: try Credentials.load(from: paths.credentialsFile),
                folder: folder,
                mode: mode
            )
        } catch let error as ConfigError {
            // EX_CONFIG: the units do not restart a daemon whose configuration cannot work.
            FileHandle.standardError.write(Data("syncd: cannot start: \(error)\n".utf8))
            throw ExitCode(78)
        }
        // Under systemd (stderr is the journal's stream) or with SYNCD_LOG=journal: structured
        // journald entries; otherwise readable lines on stderr.
        if dryRun {
            // Only warnings on stderr: the plan is the output.
            ServiceLogging.bootstrap(identifier: "syncd", level: .warning)
            let report = try await explained { try await Daemon.dryRun(settings, logger: Logger(label: "syncd")) }
            return try DryRunOutput(report).print(json: json)
        }
        ServiceLogging.bootstrap(identifier: "syncd", level: settings.logLevel)
        try await Daemon.run(settings, logger: Logger(label: "syncd"))
    }
}

/// `syncd status`: what the running daemon is doing.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show what the running daemon is doing.")

    @OptionGroup var pathOptions: PathOptions
    @Flag(help: "Print the status as JSON.") var json = false

    func run() throws {
        let response = try ControlClient.send(ControlRequest(command: .status), to: pathOptions.paths.controlSocket)
        try show(response, json: json)
    }
}

struct PauseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Stop syncing until `syncd resume`.")
    @OptionGroup var pathOptions: PathOptions

    func run() throws {
        try show(try ControlClient.send(ControlRequest(command: .pause), to: pathOptions.paths.controlSocket), json: false)
    }
}

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Start syncing again.")
    @OptionGroup var pathOptions: PathOptions
    @Flag(help: "Carry out the deletions the mass-delete brake is holding.") var allowDeletes = false

    func run() throws {
        let request = ControlRequest(command: .resume, allowDeletes: allowDeletes)
        try show(try ControlClient.send(request, to: pathOptions.paths.controlSocket), json: false)
    }
}

func show(_ response: ControlResponse, json: Bool) throws {
    if let error = response.error { throw ValidationError(error) }
    guard let status = response.status else { throw ValidationError("the daemon sent no status") }
    if json { return try printJSON(status) }
    print(StatusText.render(status))
}

/// `syncd doctor`: checks the folder, inotify limits, the server, the clock, the journal and
/// disk space, and says what to do about each problem. Exits 1 when there is one.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "doctor", abstract: "Check what syncd depends on.")

    @OptionGroup var pathOptions: PathOptions
    @Option(help: "The synced folder (default: as `syncd run` would use).") var folder: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let paths = pathOptions.paths
        let config = try ConfigSource.load(path: FileManager.default.fileExists(atPath: paths.configFile) ? paths.configFile : nil)
        let credentials = try Credentials.load(from: paths.credentialsFile)
        let settings = try? DaemonSettings.load(config: config, paths: paths, credentials: credentials, folder: folder)
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        var folderPath = try settings?.folder ?? folder ?? config.string("sync.folder") ?? "~/Sync"
        if folderPath.hasPrefix("~/") { folderPath = home + folderPath.dropFirst() }
        let checks = await Doctor.run(folder: folderPath, paths: paths, server: settings?.server, token: settings?.token)
        if json { try printJSON(checks) } else { print(Doctor.render(checks)) }
        if checks.contains(where: { $0.outcome == .problem }) { throw ExitCode(1) }
    }
}
