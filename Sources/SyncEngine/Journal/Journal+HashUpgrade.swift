import GRDB

extension Journal {
    /// Local files whose hash is still the legacy one (see ``HashUpgrade``).
    public func legacyLocalHashes() throws -> [HashUpgrade.LegacyLocalHash] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT path, legacy_hash, size, mtime_ns, ctime_ns, inode FROM legacy_local_hashes").map { row in
                HashUpgrade.LegacyLocalHash(
                    path: RelativePath(unchecked: row[0]),
                    legacyHash: row[1],
                    size: row[2],
                    mtimeNs: row[3],
                    ctimeNs: row[4],
                    inode: UInt64(bitPattern: row[5])
                )
            }
        }
    }

    /// Every legacy hash known to name the same bytes as an identity.
    public func hashAliases() throws -> [String: String] {
        try pool.read { db in
            var aliases: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT legacy_hash, identity FROM hash_aliases") { aliases[row[0]] = row[1] }
            return aliases
        }
    }

    /// The hashes the trees held before the block hash (nil: none, a journal begun after).
    public func legacyHashes() throws -> Set<String> {
        try pool.read { db in Set(try String.fetchAll(db, sql: "SELECT hash FROM legacy_hashes")) }
    }

    /// Records aliases learnt from the server.
    public func recordHashAliases(_ aliases: [String: String]) throws {
        try pool.write { db in
            for (legacy, identity) in aliases {
                try db.execute(sql: "INSERT OR REPLACE INTO hash_aliases (legacy_hash, identity) VALUES (?, ?)", arguments: [legacy, identity])
            }
        }
    }

    /// Records new aliases and forgets the legacy rows a full scan has rehashed.
    public func finishHashUpgrade(aliases: [String: String]) throws {
        try pool.write { db in
            for (legacy, identity) in aliases {
                try db.execute(sql: "INSERT OR REPLACE INTO hash_aliases (legacy_hash, identity) VALUES (?, ?)", arguments: [legacy, identity])
            }
            try db.execute(sql: "DELETE FROM legacy_local_hashes")
        }
    }
}
