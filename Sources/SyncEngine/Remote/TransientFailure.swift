/// A failure that says nothing about the path it hit: the server or the storage could not be
/// reached, or answered that it is overloaded or down. Such a path is tried again soon (at most
/// ``FolderSync/Configuration/transientRetryCap`` later), however often it failed during the
/// outage: when the network comes back, waiting files go within a minute, not an hour.
public protocol TransientFailure: Error {
    var isTransient: Bool { get }
}
