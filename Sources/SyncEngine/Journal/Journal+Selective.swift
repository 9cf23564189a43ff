import GRDB
import SyncAPI

/// What selective sync reads of the journal (``FolderSync/exclusions(dryRun:)``): whether an
/// excluded folder still has a local copy the journal knows, and that folder's rows.
extension Journal {
    /// Whether the local or synced tree holds `folder` or anything inside it: the folder is
    /// still leaving this device.
    public func holdsLocalCopy(of folder: RelativePath) throws -> Bool {
        try pool.read { db in try Self.holdsLocalCopy(of: folder, db) }
    }

    static func holdsLocalCopy(of folder: RelativePath, _ db: Database) throws -> Bool {
        for table in ["local_items", "synced_items"] {
            let found = try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM \(table) WHERE path = ? OR (path >= ? AND path < ?))"),
                arguments: [folder.string, folder.string + "/", folder.string + "0"]
            )
            if found == true { return true }
        }
        return false
    }

    /// The three trees' rows of `folder` and everything inside it (none of the folders above).
    func subtree(_ folder: RelativePath) throws -> PartialTrees {
        try pool.read { db in
            var trees = PartialTrees()
            try trees.include(folder, db)
            for ancestor in folder.ancestors {
                trees.local[ancestor] = nil
                trees.remote[ancestor] = nil
                trees.synced[ancestor] = nil
            }
            return trees
        }
    }
}

extension JournalReader {
    /// Whether `folder` is still leaving this device (``Journal/holdsLocalCopy(of:)``).
    public func holdsLocalCopy(of folder: RelativePath) throws -> Bool {
        try queue.read { db in try Journal.holdsLocalCopy(of: folder, db) }
    }
}
