import Foundation
import GRDB

/// Multipart uploads in progress, kept so that a restart resumes them (``UploadResumeLog``).
extension Journal: UploadResumeLog {
    /// Starts (or replaces) the record of a multipart upload of the file at `path`.
    public func beginUpload(_ session: UploadSession) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO upload_sessions (path, upload_id, size, mtime_ns, inode, content_hash, parts, started_at, part_size)
                    VALUES (?, ?, ?, ?, ?, ?, '[]', ?, ?)
                    """,
                arguments: [
                    session.path.string, session.uploadId, session.size, session.mtimeNs, Int64(bitPattern: session.inode),
                    session.contentHash, session.startedAt.timeIntervalSince1970, session.partSize,
                ]
            )
        }
    }

    /// Adds a finished part to an upload session.
    public func recordPart(_ part: UploadedPart, of path: RelativePath) throws {
        try pool.write { db in
            guard let json = try String.fetchOne(db, sql: "SELECT parts FROM upload_sessions WHERE path = ?", arguments: [path.string]) else {
                return
            }
            var parts = try JSONDecoder().decode([UploadedPart].self, from: Data(json.utf8))
            parts.removeAll { $0.partNumber == part.partNumber }
            parts.append(part)
            let encoded = String(decoding: try JSONEncoder().encode(parts.sorted { $0.partNumber < $1.partNumber }), as: UTF8.self)
            try db.execute(sql: "UPDATE upload_sessions SET parts = ? WHERE path = ?", arguments: [encoded, path.string])
        }
    }

    /// The upload session of a path, with its finished parts.
    public func uploadSession(for path: RelativePath) throws -> UploadSession? {
        try pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT upload_id, size, mtime_ns, inode, content_hash, parts, started_at, part_size FROM upload_sessions WHERE path = ?",
                    arguments: [path.string]
                )
            else { return nil }
            let parts = try JSONDecoder().decode([UploadedPart].self, from: Data((row[5] as String).utf8))
            return UploadSession(
                path: path,
                uploadId: row[0],
                size: row[1],
                mtimeNs: row[2],
                inode: UInt64(bitPattern: row[3]),
                contentHash: row[4],
                parts: parts,
                startedAt: Date(timeIntervalSince1970: row[6]),
                partSize: row[7]
            )
        }
    }

    /// Every upload session, oldest first (to resume or abort at start).
    public func uploadSessions() throws -> [UploadSession] {
        let paths = try pool.read { db in try String.fetchAll(db, sql: "SELECT path FROM upload_sessions ORDER BY started_at") }
        var sessions: [UploadSession] = []
        for path in paths {
            if let session = try uploadSession(for: RelativePath(unchecked: path)) { sessions.append(session) }
        }
        return sessions
    }

    /// Drops the record of an upload that cannot be continued (or finished otherwise).
    public func forgetUpload(_ path: RelativePath) throws {
        var change = JournalChange()
        change.finishedUploads = [path]
        try apply(change)
    }
}
