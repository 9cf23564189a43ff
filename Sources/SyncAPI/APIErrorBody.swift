/// The JSON body of every error the server's API returns.
///
/// `code` is stable and meant for programs (`"revision_conflict"`, `"not_found"`); `message` is
/// for people and may change.
public struct APIErrorBody: Codable, Sendable, Equatable {
    /// A stable, machine-readable error code.
    public var code: String
    /// A human-readable explanation: what happened and what to do.
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}
