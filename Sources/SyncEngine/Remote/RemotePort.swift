/// The server as the engine needs it. The daemon implements it over the server's API and S3
/// (presigned uploads and downloads); tests use an in-memory remote.
///
/// Every mutation names the revision the caller last saw; a server whose item moved on answers
/// with a conflict error, and the engine plans again from fresh state.
public protocol RemotePort: Sendable {
    /// The whole remote tree, and a cursor for the change feed after it.
    func snapshot() async throws -> (tree: RemoteTree, cursor: String)
    /// Stores the file at `localPath` as `path`: a new item when `baseRevision` is nil, else a
    /// new revision of the item at that revision. `contentHash` is the hex SHA-256 the file had
    /// when scanned; an implementation verifies what it sent against it.
    func upload(_ path: RelativePath, from localPath: String, contentHash: String, size: Int64, baseRevision: Int64?) async throws -> RemoteEntry
    func createFolder(_ path: RelativePath) async throws -> RemoteEntry
    /// Writes the content of `entry` into the (empty) file at `localPath`.
    func download(_ path: RelativePath, entry: RemoteEntry, to localPath: String) async throws
    /// Moves an item (a folder with everything in it).
    func move(_ path: RelativePath, to destination: RelativePath, revision: Int64) async throws -> RemoteEntry
    /// Deletes an item (a folder with everything in it) to the trash.
    func delete(_ path: RelativePath, revision: Int64) async throws
}
