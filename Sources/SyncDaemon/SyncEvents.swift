import Foundation
import Logging
import SyncEngine

/// The kinds of event syncd logs, each with a stable journald `MESSAGE_ID` explained in
/// `systemd/syncd.catalog` (so `journalctl -x` says what it means and what to do).
public enum SyncEvent: String, CaseIterable, Sendable {
    case upload, download, move, delete, folder, conflict, error, brake, started, stopped
    case passFailed = "pass_failed"
    /// A path failed past ``StatusBoard/RetryBound``: still retried, but worth a look.
    case failing
    /// The scan skipped an entry (a link, a special file, a name that is not UTF-8, ...).
    case skipped

    public var messageId: String {
        switch self {
        case .upload: "18ee4804d32c4b49bc5ebaa18c6ad010"
        case .download: "acadd57ed976408aa54a76ec92292c0f"
        case .move: "f1b5e147ec6940daaf47d2589b639bd3"
        case .delete: "542432775efc45388b66ce0b544e1cd4"
        case .folder: "511e91bfb44040d8a57cc2a28d2f7b3a"
        case .conflict: "14a7ad06253e4872b228552d73a522ae"
        case .error: "f359ca7c95ec42f1a226676c9446d2f4"
        case .brake: "ddbbff6a6d99402697107540d65a9b9b"
        case .started: "77fba9e65732442a93ef6361c384d584"
        case .stopped: "94243ba1161043bf8d933277f9151894"
        case .passFailed: "11583a7679144c038c10433af9f445c2"
        case .failing: "bf232d134f9b4cb3b2dc85f8fc30d807"
        case .skipped: "c2ec974e47e94a42a4bf500020349ce1"
        }
    }

    /// The event a finished step is, or nil for bookkeeping steps (records, forgets).
    static func of(_ action: SyncAction) -> SyncEvent? {
        switch action {
        case .upload: .upload
        case .download: .download
        case .moveRemote, .moveLocal: .move
        case .deleteRemote, .deleteLocal: .delete
        case .createRemoteFolder, .createLocalFolder: .folder
        case .keepBothConflict: .conflict
        case .recordSynced, .forget, .recordMove: nil
        }
    }

    /// Metadata for the log line: the journald handler turns `action`, `path`, `bytes`,
    /// `duration_ms`, `remote_rev` and `message_id` into `SYNCD_*` fields and `MESSAGE_ID`.
    func metadata(path: String? = nil, bytes: Int64? = nil, duration: Duration? = nil, remoteRevision: Int64? = nil) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["action": "\(rawValue)", "message_id": "\(messageId)"]
        if let path { metadata["path"] = "\(path)" }
        if let bytes { metadata["bytes"] = "\(bytes)" }
        if let duration {
            let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
            metadata["duration_ms"] = "\(ms)"
        }
        if let remoteRevision { metadata["remote_rev"] = "\(remoteRevision)" }
        return metadata
    }
}

extension Daemon {
    /// One log line per finished step, failure and brake, with structured fields.
    static func log(_ report: SyncReport, logger: Logger) {
        for step in report.steps {
            guard let event = SyncEvent.of(step.action) else { continue }
            let level: Logger.Level = event == .conflict ? .warning : .info
            logger.log(
                level: level,
                "\(step.action)",
                metadata: event.metadata(
                    path: step.action.primaryPathString,
                    bytes: step.bytes,
                    duration: step.duration,
                    remoteRevision: step.remoteRevision
                )
            )
        }
        for (action, error) in report.failed {
            logger.error("\(action) failed: \(error)", metadata: SyncEvent.error.metadata(path: action.primaryPathString))
        }
        if let brake = report.brake {
            logger.critical("mass-delete brake: \(brake)", metadata: SyncEvent.brake.metadata())
        }
    }

    /// One warning per path when it goes past the retry bound, and per entry the scan starts
    /// skipping (not on every pass).
    static func log(_ news: StatusNews, logger: Logger) {
        for error in news.newlyFailing {
            logger.warning(
                "\(error.path) keeps failing (\(error.attempts) attempts): \(error.message); still retried, at most hourly",
                metadata: SyncEvent.failing.metadata(path: error.path.string)
            )
        }
        for problem in news.newlySkipped {
            // A file being written is looked at again soon; the rest stays skipped until it changes.
            logger.log(
                level: problem.kind == .changing ? .info : .warning,
                "skipped \(problem.path): \(problem.message)",
                metadata: SyncEvent.skipped.metadata(path: problem.path)
            )
        }
    }
}

extension SyncAction {
    var primaryPathString: String {
        switch self {
        case .upload(let p, _), .createRemoteFolder(let p), .download(let p), .createLocalFolder(let p),
            .keepBothConflict(let p, _), .deleteRemote(let p, _), .deleteLocal(let p, _), .recordSynced(let p), .forget(let p):
            p.string
        case .moveRemote(_, let to), .moveLocal(_, let to), .recordMove(_, let to):
            to.string
        }
    }
}
