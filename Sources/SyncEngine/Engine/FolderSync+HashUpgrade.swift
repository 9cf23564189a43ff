import Logging

extension FolderSync {
    /// The remote and synced trees with legacy hashes read as identities (``HashUpgrade``); the
    /// rewritten rows go into `refresh`. `local` is a full scan when legacy rows are pending (a
    /// pass forces one then).
    func upgradingHashes(local: LocalTree, remote: RemoteTree, synced: SyncedTree, refresh: inout JournalChange) throws -> (RemoteTree, SyncedTree) {
        let legacy = try journal.legacyLocalHashes()
        var aliases = try journal.hashAliases()
        let renamed = HashUpgrade.aliases(remote: remote, synced: synced, legacy: try journal.legacyHashes()).filter { aliases[$0.key] != $0.value }
        if !renamed.isEmpty {
            try journal.recordHashAliases(renamed)
            aliases.merge(renamed) { _, new in new }
        }
        if !legacy.isEmpty {
            let found = HashUpgrade.aliases(legacy, scanned: local)
            try journal.finishHashUpgrade(aliases: found)
            aliases.merge(found) { _, new in new }
            logger.notice(
                "content hashes moved to block hashes",
                metadata: ["files": "\(legacy.count)", "unchanged": "\(found.count)"]
            )
        }
        guard !aliases.isEmpty else { return (remote, synced) }
        var remote = remote
        var synced = synced
        for (path, entry) in HashUpgrade.translated(remote, aliases) {
            remote[path] = entry
            refresh.remote[path] = entry
        }
        for (path, entry) in HashUpgrade.translated(synced, aliases) {
            synced[path] = entry
            refresh.synced[path] = entry
        }
        return (remote, synced)
    }
}
