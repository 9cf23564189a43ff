public import Foundation

/// The choices the planner follows.
public struct SyncPolicy: Sendable {
    public enum Mode: String, Sendable, Codable {
        /// Two-way sync.
        case sync
        /// Push only: the folder is the truth, remote changes are not brought down, local
        /// deletions move the remote file to trash.
        case backup
    }

    /// The mass-delete brake: a plan that deletes more than `maxFraction` of the synced files
    /// *and* more than `minCount` of them is held until the user confirms.
    public struct DeleteBrake: Sendable {
        public var maxFraction: Double
        public var minCount: Int

        public init(maxFraction: Double = 0.5, minCount: Int = 50) {
            self.maxFraction = maxFraction
            self.minCount = minCount
        }
    }

    public var mode: Mode
    public var brake: DeleteBrake
    /// The user confirmed the deletions (`syncd resume --allow-deletes`).
    public var allowMassDelete: Bool
    /// Names this machine in conflicted copies.
    public var hostName: String
    /// The instant put in conflicted-copy names.
    public var now: Date
    /// The time zone of conflicted-copy names (the user's).
    public var timeZone: TimeZone

    public init(
        mode: Mode = .sync,
        brake: DeleteBrake = DeleteBrake(),
        allowMassDelete: Bool = false,
        hostName: String,
        now: Date,
        timeZone: TimeZone = TimeZone(identifier: "UTC")!
    ) {
        self.mode = mode
        self.brake = brake
        self.allowMassDelete = allowMassDelete
        self.hostName = hostName
        self.now = now
        self.timeZone = timeZone
    }
}
