public import Logging

/// What the server tells journald about itself, each with a MESSAGE_ID that
/// `systemd/syncd.catalog` explains (`journalctl -u syncd-server -x`), beside its request lines.
public enum ServerEvent: String, CaseIterable, Sendable {
    case started
    case ready
    case stopping
    case configurationError = "configuration_error"

    public var messageId: String {
        switch self {
        case .started: "fdfa4ff913a84ba98892fb3edce92eea"
        case .ready: "5536e4765cd64a149623cd79b0189cbc"
        case .stopping: "c396f607c24f46a69ddb8281d768027c"
        case .configurationError: "8aa29ba5eaa0462695e1b6eebb1fcf2a"
        }
    }

    /// `SYNCD_EVENT` and `MESSAGE_ID`, with `extra` (each key becomes `SYNCD_<KEY>`).
    public func metadata(_ extra: Logger.Metadata = [:]) -> Logger.Metadata {
        extra.merging(["event": "\(rawValue)", "message_id": "\(messageId)"]) { $1 }
    }
}
