import SyncAPI

/// Moving a journal from the old content hash (plain SHA-256) to the content identity (block
/// hash) without either side looking changed.
///
/// The journal migration keeps what each local file looked like under the old hash (a
/// ``LegacyLocalHash``) and clears the local hashes, so the next scan rehashes every file. A
/// file the scan finds exactly as it was (size, mtime, ctime, inode) still holds the bytes the
/// old hash named: the old hash and the new identity name the same bytes, an alias. Aliases
/// then rewrite the synced and remote trees (and whatever the server still reports under an old
/// hash until it has rehashed its own rows), so the planner compares identities with identities.
public enum HashUpgrade {
    /// What a local file looked like when its hash was the legacy one.
    public struct LegacyLocalHash: Sendable, Equatable {
        public var path: RelativePath
        public var legacyHash: String
        public var size: Int64
        public var mtimeNs: Int64
        public var ctimeNs: Int64
        public var inode: UInt64

        public init(path: RelativePath, legacyHash: String, size: Int64, mtimeNs: Int64, ctimeNs: Int64, inode: UInt64) {
            self.path = path
            self.legacyHash = legacyHash
            self.size = size
            self.mtimeNs = mtimeNs
            self.ctimeNs = ctimeNs
            self.inode = inode
        }
    }

    /// Legacy hash → identity, from the files a scan found unchanged and rehashed.
    public static func aliases(_ legacy: [LegacyLocalHash], scanned: LocalTree) -> [String: String] {
        var aliases: [String: String] = [:]
        for old in legacy {
            guard let now = scanned[old.path], now.kind == .file, let identity = now.contentHash,
                now.size == old.size, now.mtimeNs == old.mtimeNs, now.ctimeNs == old.ctimeNs, now.inode == old.inode
            else { continue }
            aliases[old.legacyHash] = identity
        }
        return aliases
    }

    /// Legacy hash → identity, from the server: an item at the revision both sides agreed on
    /// holds the content they agreed on (the server gives new content a new revision), so a
    /// different hash there is the server's new name for the same bytes (its rehash). Only
    /// hashes from before the upgrade (`legacy`) are renamed so.
    public static func aliases(remote: RemoteTree, synced: SyncedTree, legacy: Set<String>) -> [String: String] {
        var aliases: [String: String] = [:]
        guard !legacy.isEmpty else { return aliases }
        for (path, s) in synced.entries {
            guard s.kind == .file, let old = s.contentHash, legacy.contains(old), let r = remote[path], r.kind == .file, r.fileId == s.fileId,
                r.revision == s.revision, let new = r.contentHash, new != old
            else { continue }
            aliases[old] = new
        }
        return aliases
    }

    /// The entries whose hash has an alias, rewritten (synced and remote trees alike).
    public static func translated<Entry: ContentHashed>(_ tree: Tree<Entry>, _ aliases: [String: String]) -> [RelativePath: Entry] {
        var changed: [RelativePath: Entry] = [:]
        guard !aliases.isEmpty else { return changed }
        for (path, entry) in tree.entries {
            guard let hash = entry.contentHash, let identity = aliases[hash] else { continue }
            var rewritten = entry
            rewritten.contentHash = identity
            changed[path] = rewritten
        }
        return changed
    }
}

/// An entry that names its content (files; nil for folders).
public protocol ContentHashed {
    var contentHash: String? { get set }
}

extension SyncedEntry: ContentHashed {}
extension RemoteEntry: ContentHashed {}
