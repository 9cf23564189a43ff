/// The sync library: the three-tree model, journal, local scanner and watcher, the remote port
/// and the engine loop. Filled by the SyncEngine issue; this target builds so that the package's
/// layout and dependency arrows are in place from the start.
public enum SyncEngine {
    /// The version of the journal format this build reads and writes.
    public static let journalFormatVersion = 1
}
