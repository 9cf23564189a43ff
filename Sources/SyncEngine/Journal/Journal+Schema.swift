import GRDB

extension Journal {
    /// Append-only migrations, registered by name and free of app types: a released migration
    /// is never edited, a change is a new migration.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-trees") { db in
            // The local tree: what the folder looked like at the last scan.
            try db.execute(
                sql: """
                    CREATE TABLE local_items (
                        path TEXT PRIMARY KEY NOT NULL,           -- relative to the folder root, byte-exact (BINARY collation)
                        kind TEXT NOT NULL CHECK (kind IN ('file', 'folder')),
                        size INTEGER NOT NULL,
                        mtime_ns INTEGER NOT NULL,
                        ctime_ns INTEGER NOT NULL,
                        inode INTEGER NOT NULL,                   -- st_ino as a signed 64-bit bit pattern
                        content_hash TEXT                         -- hex SHA-256; NULL for folders
                    ) WITHOUT ROWID
                    """
            )
            // The remote tree: what the server last said.
            try db.execute(
                sql: """
                    CREATE TABLE remote_items (
                        path TEXT PRIMARY KEY NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('file', 'folder')),
                        file_id TEXT NOT NULL,                    -- the server's identity of the item; kept across moves
                        revision INTEGER NOT NULL,
                        size INTEGER NOT NULL,
                        content_hash TEXT
                    ) WITHOUT ROWID
                    """
            )
            // The synced tree: the merge base, the last state both sides agreed on.
            try db.execute(
                sql: """
                    CREATE TABLE synced_items (
                        path TEXT PRIMARY KEY NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('file', 'folder')),
                        content_hash TEXT,
                        size INTEGER NOT NULL,
                        inode INTEGER NOT NULL,                   -- the local identity when agreed
                        file_id TEXT NOT NULL,                    -- the remote identity when agreed
                        revision INTEGER NOT NULL
                    ) WITHOUT ROWID
                    """
            )
            // Where the server's change feed was last read up to.
            try db.execute(
                sql: """
                    CREATE TABLE remote_cursor (
                        id INTEGER PRIMARY KEY CHECK (id = 1),    -- a single row
                        cursor TEXT NOT NULL
                    )
                    """
            )
            // Multipart uploads in progress, for resume after a crash.
            try db.execute(
                sql: """
                    CREATE TABLE upload_sessions (
                        path TEXT PRIMARY KEY NOT NULL,
                        upload_id TEXT NOT NULL,
                        size INTEGER NOT NULL,                    -- the file when the upload began: a changed file starts over
                        mtime_ns INTEGER NOT NULL,
                        inode INTEGER NOT NULL,
                        content_hash TEXT NOT NULL,
                        parts TEXT NOT NULL,                      -- JSON array of finished parts (number, ETag, size, checksum)
                        started_at REAL NOT NULL                  -- seconds since the epoch; old ones are aborted
                    ) WITHOUT ROWID
                    """
            )
            // Actions that failed, per path, with when to try again (backoff).
            try db.execute(
                sql: """
                    CREATE TABLE path_errors (
                        path TEXT PRIMARY KEY NOT NULL,
                        message TEXT NOT NULL,
                        attempts INTEGER NOT NULL,
                        retry_at REAL NOT NULL
                    ) WITHOUT ROWID
                    """
            )
        }
        migrator.registerMigration("v2-upload-part-size") { db in
            // The part size the server chose, so that a resumed upload cuts the same parts.
            try db.execute(sql: "ALTER TABLE upload_sessions ADD COLUMN part_size INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v3-integrity-block-hash") { db in
            // Content hashes become content identities (block hashes). What each local file looked
            // like under its old (plain SHA-256) hash, until a scan rehashes it: a file found
            // unchanged gives an alias (see HashUpgrade).
            try db.execute(
                sql: """
                    CREATE TABLE legacy_local_hashes (
                        path TEXT PRIMARY KEY NOT NULL,
                        legacy_hash TEXT NOT NULL,                -- hex plain SHA-256
                        size INTEGER NOT NULL,
                        mtime_ns INTEGER NOT NULL,
                        ctime_ns INTEGER NOT NULL,
                        inode INTEGER NOT NULL
                    ) WITHOUT ROWID
                    """
            )
            try db.execute(
                sql: """
                    INSERT INTO legacy_local_hashes (path, legacy_hash, size, mtime_ns, ctime_ns, inode)
                    SELECT path, content_hash, size, mtime_ns, ctime_ns, inode FROM local_items WHERE kind = 'file' AND content_hash IS NOT NULL
                    """
            )
            // The next scan rehashes every file.
            try db.execute(sql: "UPDATE local_items SET content_hash = NULL WHERE kind = 'file'")
            // Old hash -> identity of the same bytes, to read synced rows and what the server
            // reports under old hashes (until it has rehashed its own rows).
            try db.execute(
                sql: """
                    CREATE TABLE hash_aliases (
                        legacy_hash TEXT PRIMARY KEY NOT NULL,
                        identity TEXT NOT NULL
                    ) WITHOUT ROWID
                    """
            )
            // Every old hash the synced and remote trees hold: only these may be renamed by what
            // the server reports (HashUpgrade.aliases(remote:synced:)).
            try db.execute(sql: "CREATE TABLE legacy_hashes (hash TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID")
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO legacy_hashes (hash)
                    SELECT content_hash FROM synced_items WHERE content_hash IS NOT NULL
                    UNION SELECT content_hash FROM remote_items WHERE content_hash IS NOT NULL
                    """
            )
            // Multipart uploads begun under the old scheme (CRC32C parts) cannot be completed
            // under the new one; the server's collector aborts them.
            try db.execute(sql: "DELETE FROM upload_sessions")
        }
        migrator.registerMigration("v4-step-intents") { db in
            // Remote moves about to be sent (MoveIntent), by item.
            try db.execute(
                sql: """
                    CREATE TABLE move_intents (
                        file_id TEXT PRIMARY KEY NOT NULL,
                        from_path TEXT NOT NULL,
                        to_path TEXT NOT NULL,
                        revision INTEGER NOT NULL
                    ) WITHOUT ROWID
                    """
            )
            // Uploads about to be sent (UploadIntent): a crash between the server's commit and
            // the journal's record of it is recognised on restart.
            try db.execute(
                sql: """
                    CREATE TABLE upload_intents (
                        path TEXT NOT NULL,
                        content_hash TEXT NOT NULL,
                        size INTEGER NOT NULL,
                        base_revision INTEGER,                   -- NULL: a new item
                        recorded_at REAL NOT NULL,               -- seconds since the epoch: the newest are kept
                        PRIMARY KEY (path, content_hash)
                    ) WITHOUT ROWID
                    """
            )
        }
        migrator.registerMigration("v5-download-intents") { db in
            // Downloads about to be installed (DownloadIntent): a crash between the install and
            // the journal's record of it is recognised on restart.
            try db.execute(
                sql: """
                    CREATE TABLE download_intents (
                        path TEXT PRIMARY KEY NOT NULL,
                        content_hash TEXT NOT NULL,
                        file_id TEXT NOT NULL,
                        revision INTEGER NOT NULL
                    ) WITHOUT ROWID
                    """
            )
        }
        migrator.registerMigration("v6-remote-listing") { db in
            // When the whole remote tree was last read: a full pass reads it again once the
            // listing interval has passed, across restarts (FolderSync.remoteListingInterval).
            try db.execute(sql: "CREATE TABLE remote_listing (id INTEGER PRIMARY KEY CHECK (id = 1), listed_at REAL NOT NULL)")
        }
        migrator.registerMigration("v7-activity") { db in
            // What the steps did, newest last (`syncd activity`); trimmed to Activity.kept rows.
            try db.execute(
                sql: """
                    CREATE TABLE activity (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, action TEXT NOT NULL,
                        path TEXT NOT NULL, to_path TEXT, bytes INTEGER, revision INTEGER
                    )
                    """
            )
        }
        migrator.registerMigration("v8-identity-indexes") { db in
            // Where an identity is (a moved item's other path): a hinted pass follows moves
            // through these instead of reading whole trees (PartialTrees).
            try db.execute(sql: "CREATE INDEX local_items_inode ON local_items (inode)")
            try db.execute(sql: "CREATE INDEX synced_items_inode ON synced_items (inode)")
            try db.execute(sql: "CREATE INDEX synced_items_file_id ON synced_items (file_id)")
            try db.execute(sql: "CREATE INDEX remote_items_file_id ON remote_items (file_id)")
        }
        return migrator
    }
}
