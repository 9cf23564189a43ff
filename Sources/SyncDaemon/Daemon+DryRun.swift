import AsyncHTTPClient
import Foundation
public import Logging
import S3Client
public import SyncEngine

extension Daemon {
    /// `syncd run --dry-run`: the first pass up to its plan, with nothing done. The folder is
    /// scanned and the server read (the change feed since the journal's cursor, or the whole
    /// tree), the planner decides, and the steps are returned instead of taken: no transfer, no
    /// change in the folder, on the server or in the journal (the pass works on a copy of it).
    /// Refused while a daemon runs on this state (its plan would race the real one).
    public static func dryRun(_ settings: DaemonSettings, logger: Logger) async throws -> SyncReport {
        if ControlClient.runningStatus(at: settings.paths.controlSocket) != nil {
            throw ControlError("syncd is running on this folder: stop it first (`syncd status` shows what it is doing)")
        }
        let folder = try checkFolder(settings.folder)
        if let claimed = try? String(contentsOfFile: settings.paths.folderMarker, encoding: .utf8),
            claimed.trimmingCharacters(in: .newlines) != folder
        {
            throw ControlError("the state in \(settings.paths.stateDir) belongs to \(claimed.trimmingCharacters(in: .newlines)), not \(folder)")
        }
        // The pass runs on a copy of the journal (an empty one before the first run): nothing
        // of the state folder is created or changed.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("syncd-dry-run-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let copy = scratch + "/journal.sqlite"
        if FileManager.default.fileExists(atPath: settings.paths.journalFile) { try Journal.copy(of: settings.paths.journalFile, to: copy) }
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration(settings))
        do {
            let journal = try Journal(path: copy)
            let remote = ServerRemote(
                api: ServerAPI(baseURL: settings.server, token: settings.token, http: http),
                journal: journal,
                board: TransferBoard(onProgress: {}),
                transfer: PresignedTransfer(http: http),
                partConcurrency: settings.partConcurrency,
                logger: logger
            )
            var configuration = FolderSync.Configuration(root: folder, mode: settings.mode, brake: settings.brake, hostName: settings.hostName)
            configuration.remoteListingInterval = Double(settings.rescanInterval.components.seconds)
            let engine = FolderSync(configuration: configuration, journal: journal, remote: remote, logger: logger)
            let report = try await engine.pass(dryRun: true)
            try await http.shutdown()
            return report
        } catch {
            try? await http.shutdown()
            throw error
        }
    }
}
