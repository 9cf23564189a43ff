public import Foundation
import SyncEngine

/// Setting the journal aside when the account it describes is no longer this device's
/// (`syncd login` to another account or server, `syncd logout`): the next run starts from no
/// journal, a first sync, which merges both sides and never takes a missing file for a deletion.
public enum JournalReset {
    /// Renames the journal (with its WAL files) to `journal.sqlite.set-aside-STAMP[-N]`; returns that
    /// path, or nil when there was no journal.
    public static func setAside(_ paths: DaemonPaths, now: Date = Date()) throws -> String? {
        guard FileManager.default.fileExists(atPath: paths.journalFile) else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        // Never onto an earlier one (two logins within a second).
        let stamp = paths.journalFile + ".set-aside-" + formatter.string(from: now)
        var kept = stamp
        var attempt = 1
        while FileManager.default.fileExists(atPath: kept) {
            attempt += 1
            kept = stamp + "-\(attempt)"
        }
        // The WAL is emptied into the file first, and the file moves first: a crash between
        // the moves leaves at most an empty WAL beside no journal, which the next journal
        // ignores (a WAL with frames would be replayed into the new journal).
        try Journal.checkpoint(paths.journalFile)
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: paths.journalFile + suffix) {
            try FileManager.default.moveItem(atPath: paths.journalFile + suffix, toPath: kept + suffix)
        }
        return kept
    }
}
