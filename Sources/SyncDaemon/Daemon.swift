import AsyncHTTPClient
import CLinuxShims
import Dispatch
public import Foundation
import Glibc
public import Logging
import NIOCore
import S3Client
import ServiceLifecycle
import ServiceSupport
import SyncAPI
public import SyncEngine
import Synchronization
import TOMLConfig
import UnixSignals

/// What one daemon runs with: one folder, one server.
public struct DaemonSettings: Sendable {
    public var folder: String
    public var server: String
    public var token: String
    public var paths: DaemonPaths
    public var mode: SyncPolicy.Mode
    public var brake: SyncPolicy.DeleteBrake
    public var hostName: String
    /// Files transferred at once, and parts of one large file at once.
    public var transferConcurrency: Int
    public var partConcurrency: Int
    /// A full rescan this often even when the watcher is healthy.
    public var rescanInterval: Duration
    /// Caps on all uploads and all downloads together, in bytes per second (nil: none).
    public var maxUploadRate: Int64?
    public var maxDownloadRate: Int64?
    /// Where to serve Prometheus metrics (`GET /metrics`), if anywhere: an IPv4 host and port.
    public var metricsListen: (host: String, port: Int)?
    /// `log.level` (default `info`).
    public var logLevel: Logger.Level = .info
    /// `sync.exclude`: folders this device does not sync (besides those `syncd exclude` keeps).
    public var excluded: [RelativePath] = []

    /// Every folder this device does not sync.
    public var excludedFolders: ExcludedFolders { ExcludedFolders(configured: excluded, file: paths.excludedFoldersFile) }

    public init(
        folder: String,
        server: String,
        token: String,
        paths: DaemonPaths,
        mode: SyncPolicy.Mode = .sync,
        brake: SyncPolicy.DeleteBrake = .init(),
        hostName: String = ProcessInfo.processInfo.hostName,
        transferConcurrency: Int = 16,
        partConcurrency: Int = 4,
        rescanInterval: Duration = .seconds(3600)
    ) {
        self.folder = folder
        self.server = server
        self.token = token
        self.paths = paths
        self.mode = mode
        self.brake = brake
        self.hostName = hostName
        self.transferConcurrency = transferConcurrency
        self.partConcurrency = partConcurrency
        self.rescanInterval = rescanInterval
    }
}

/// The daemon: the engine on the folder, the server as its remote, the change feed waking it,
/// the control socket answering `syncd status`, until SIGTERM or SIGINT.
public enum Daemon {
    public static func run(_ settings: DaemonSettings, logger: Logger) async throws {
        // Two malloc arenas, not eight per core: the engine's threads share them, and memory
        // freed by one is there for the others (less held, more given back by malloc_trim).
        syncd_limit_malloc_arenas(2)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration(settings))
        do {
            try await run(settings, http: http, logger: logger)
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    /// One HTTP client for the API and S3: enough connections per host for every transfer in
    /// flight (the shared client's 8 would queue them), a connect timeout so that a server that
    /// is down fails requests in seconds rather than at their deadline, and no redirects: a
    /// transfer URL is checked against the announced storage origin (``CheckedTransfer``), and a
    /// 3xx from anywhere must not send a file's bytes somewhere else.
    static func httpConfiguration(_ settings: DaemonSettings) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(5)))
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(16, settings.transferConcurrency * 2 + settings.partConcurrency)
        configuration.redirectConfiguration = .disallow
        return configuration
    }

    static func run(_ settings: DaemonSettings, http: HTTPClient, logger: Logger) async throws {
        let folder = try checkFolder(settings.folder)
        try FileManager.default.createDirectory(
            atPath: settings.paths.stateDir,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        try claimState(settings.paths, folder: folder)
        let journal = try Journal(path: settings.paths.journalFile)
        let api = ServerAPI(baseURL: settings.server, token: settings.token, http: http)
        let notifier = SystemdNotifier()
        let board = TransferBoard(onProgress: { notifier.alive() })
        // Always there, so that a reload can set or lift a cap.
        let uploadLimiter = BandwidthLimiter(bytesPerSecond: settings.maxUploadRate)
        let downloadLimiter = BandwidthLimiter(bytesPerSecond: settings.maxDownloadRate)
        let transfer = PresignedTransfer(http: http, uploadLimiter: uploadLimiter, downloadLimiter: downloadLimiter)
        let remote = ServerRemote(
            api: api,
            journal: journal,
            board: board,
            transfer: transfer,
            partConcurrency: settings.partConcurrency,
            logger: logger
        )
        let folderLogger = {
            var copy = logger
            copy[metadataKey: "folder"] = "\(folder)"
            return copy
        }()
        var configuration = FolderSync.Configuration(
            root: folder,
            mode: settings.mode,
            brake: settings.brake,
            hostName: settings.hostName,
            transferConcurrency: settings.transferConcurrency
        )
        // The periodic full pass also reads the whole remote tree (the first pass reads the feed).
        configuration.remoteListingInterval = Double(settings.rescanInterval.components.seconds)
        let exclusions = ExcludedFolders.Source(settings.excludedFolders, logger: logger)
        @Sendable func excluded() throws -> [RelativePath] { try exclusions.current() }
        configuration.excludedFolders = excluded
        let engine = FolderSync(
            configuration: configuration,
            journal: journal,
            remote: remote,
            logger: folderLogger
        )
        let status = StatusBoard()
        let counters = DaemonMetrics(folder: folder)
        let service = FolderSyncService(
            engine: engine,
            rescanInterval: settings.rescanInterval,
            onReport: { report in
                // A pass's trees are freed when it ends: give their pages back to the system, so
                // that an idle daemon holds what it holds idle, not its largest pass.
                syncd_release_free_memory()
                let news = status.record(report, pathErrors: (try? journal.errors()) ?? [])
                counters.record(report)
                log(report, logger: folderLogger)
                log(news, logger: folderLogger)
                notifier.markReady()
            },
            onFailure: { error in
                status.passFailed(error)
                counters.passFailed()
                folderLogger.error("sync pass failed: \(error)", metadata: SyncEvent.passFailed.metadata())
            },
            heartbeat: { notifier.alive() }
        )
        let reporter = ExcludedFolders.Reporter(exclusions, api: api)
        let feed = ChangeFeedWatcher(api: api, journal: journal, logger: folderLogger) { service.remoteChanged() }
        let control = try ControlServer(path: settings.paths.controlSocket) { request in
            switch request.command {
            case .status: break
            case .rescan:
                folderLogger.notice("excluded folders: \(((try? excluded()) ?? []).map(\.string))")
                service.requestFullPass()
            case .pause:
                service.pause()
                folderLogger.notice("paused")
            case .resume:
                if request.allowDeletes == true {
                    engine.allowHeldDeletions()
                    folderLogger.notice("held deletions allowed by `syncd resume --allow-deletes`")
                }
                service.resume()
                folderLogger.notice("resumed")
            }
            return ControlResponse(status: current())
        }
        @Sendable func current() -> DaemonStatus {
            var current = status.status(
                folder: folder,
                server: settings.server,
                mode: settings.mode.rawValue,
                paused: service.isPaused,
                online: feed.online.load(ordering: .relaxed),
                progress: engine.progress,
                journal: journal,
                board: board
            )
            current.excluded = ((try? excluded()) ?? []).map { path in
                let leaving = (try? journal.holdsLocalCopy(of: path)) ?? false
                return DaemonStatus.ExcludedFolder(
                    path: path.string,
                    configured: settings.excluded.contains(path),
                    leaving: leaving,
                    heldBy: leaving ? engine.leavingHold(path) : nil
                )
            }
            return current
        }
        let metrics: MetricsListener?
        do {
            metrics = try settings.metricsListen.map { listen in
                try MetricsListener(host: listen.host, port: listen.port) { counters.render(current()) }
            }
        } catch {
            control.stop()  // it will not run: its socket file goes now
            throw error
        }
        folderLogger.notice(
            "syncd \(BuildInfo.version) syncing \(folder) with \(settings.server) (\(settings.mode.rawValue) mode)",
            metadata: SyncEvent.started.metadata().merging(["version": "\(BuildInfo.version)"]) { $1 }
        )
        // systemd: STATUS= once a second when it changed, the watchdog, STOPPING=1 when the
        // shutdown starts (services stop in reverse order: this one is told first).
        let systemd = BackgroundService {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await notifier.runWatchdog() }
                group.addTask {
                    while !Task.isCancelled {
                        status.sample(bytes: board.bytesUploaded + board.bytesDownloaded)
                        notifier.status(current().summary)
                        try? await Task.sleep(for: .seconds(1))
                    }
                }
            }
        } onShutdown: {
            notifier.stopping()
        }
        // SIGHUP: .syncignore is read again by the full pass it starts.
        let hangup = SignalWatcher(SIGHUP) {
            notifier.reloading()
            Task {
                await reload(settings, uploadLimiter: uploadLimiter, downloadLimiter: downloadLimiter, logger: folderLogger)
                folderLogger.notice("reloaded: rescanning the folder with the ignore rules as they are now")
                service.requestFullPass()
                notifier.reloaded()
            }
        }
        defer { hangup.cancel() }
        let group = ServiceGroup(
            configuration: .init(
                // Stopped in reverse order: systemd hears STOPPING=1 first; `syncd status` and the
                // metrics answer until the engine has stopped.
                services: [.init(service: control)] + (metrics.map { [.init(service: $0)] } ?? [])
                    + [.init(service: service), .init(service: feed), .init(service: reporter), .init(service: systemd)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        folderLogger.notice("stopped", metadata: SyncEvent.stopped.metadata())
    }

    /// SIGHUP: reads config.toml again. Bandwidth caps apply at once; a change to anything
    /// else is named in the log with the advice to restart (the engine's settings are fixed for
    /// its life).
    static func reload(_ running: DaemonSettings, uploadLimiter: BandwidthLimiter, downloadLimiter: BandwidthLimiter, logger: Logger) async {
        let paths = running.paths
        do {
            let config = try ConfigSource.load(path: FileManager.default.fileExists(atPath: paths.configFile) ? paths.configFile : nil)
            let fresh = try DaemonSettings.load(
                config: config,
                paths: paths,
                credentials: try Credentials.load(from: paths.credentialsFile),
                folder: running.folder,
                mode: running.mode.rawValue
            )
            await uploadLimiter.setRate(fresh.maxUploadRate)
            await downloadLimiter.setRate(fresh.maxDownloadRate)
            var needRestart: [String] = []
            if fresh.transferConcurrency != running.transferConcurrency || fresh.partConcurrency != running.partConcurrency {
                needRestart.append("transfers")
            }
            if fresh.brake.maxFraction != running.brake.maxFraction || fresh.brake.minCount != running.brake.minCount { needRestart.append("brake") }
            if fresh.server != running.server || fresh.token != running.token { needRestart.append("server") }
            if fresh.rescanInterval != running.rescanInterval { needRestart.append("sync.rescan_interval_seconds") }
            let up = fresh.maxUploadRate.map { "\($0) B/s" } ?? "unlimited"
            let down = fresh.maxDownloadRate.map { "\($0) B/s" } ?? "unlimited"
            let restart = needRestart.isEmpty ? "" : "; changed settings that need a restart: \(needRestart.joined(separator: ", "))"
            logger.notice("configuration re-read; bandwidth caps now up \(up), down \(down)\(restart)")
        } catch {
            logger.error("configuration not reloaded, the running one stays: \(error)")
        }
    }

    /// The folder must exist and be a folder: a missing one is an unmounted disk, never
    /// something to create (and then "sync" as empty).
    static func checkFolder(_ path: String) throws -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isFolder), isFolder.boolValue else {
            throw ControlError("the folder \(absolute) does not exist (or is not a folder); create it, or mount it, first")
        }
        return absolute
    }

    /// One state folder serves one synced folder: a journal used for another folder would make
    /// every file look deleted.
    static func claimState(_ paths: DaemonPaths, folder: String) throws {
        if let claimed = try? String(contentsOfFile: paths.folderMarker, encoding: .utf8) {
            let owner = claimed.trimmingCharacters(in: .newlines)
            guard owner == folder else {
                throw ControlError("the state in \(paths.stateDir) belongs to \(owner), not \(folder); give this folder its own state directory")
            }
            return
        }
        try (folder + "\n").write(toFile: paths.folderMarker, atomically: true, encoding: .utf8)
    }

}

/// Runs `body` until the service group shuts down, then `onShutdown`.
struct BackgroundService: Service {
    let body: @Sendable () async -> Void
    let onShutdown: @Sendable () -> Void

    init(_ body: @escaping @Sendable () async -> Void, onShutdown: @escaping @Sendable () -> Void) {
        self.body = body
        self.onShutdown = onShutdown
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            await cancelWhenGracefulShutdown { await body() }
        } onGracefulShutdown: {
            onShutdown()
        }
    }
}

/// Calls `action` on each delivery of `signal` (which is then no longer fatal).
final class SignalWatcher {
    private let source: any DispatchSourceSignal

    init(_ signal: Int32, action: @escaping @Sendable () -> Void) {
        Glibc.signal(signal, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: signal)
        source.setEventHandler(handler: action)
        source.resume()
    }

    func cancel() {
        source.cancel()
    }
}
