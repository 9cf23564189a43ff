import CSystemd
public import Foundation
import Glibc
public import Logging

/// A swift-log handler that writes to journald natively (`sd_journal_sendv`), one entry per
/// line with structured fields: `PRIORITY`, `MESSAGE`, `MESSAGE_ID`, `SYSLOG_IDENTIFIER`,
/// `CODE_FILE`/`CODE_LINE`/`CODE_FUNC`, and every metadata key as `SYNCD_<KEY>`
/// (`SYNCD_FOLDER`, `SYNCD_PATH`, `SYNCD_ACTION`, `SYNCD_BYTES`, `SYNCD_DURATION_MS`,
/// `SYNCD_REMOTE_REV`, …), so that `journalctl -u syncd SYNCD_ACTION=conflict` works.
public struct JournaldLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let identifier: String

    public init(label: String, identifier: String = "syncd") {
        self.label = label
        self.identifier = identifier
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = [
            "MESSAGE=\(event.message)", "PRIORITY=\(Self.priority(event.level))", "SYSLOG_IDENTIFIER=\(identifier)",
            "CODE_FILE=\(event.file)", "CODE_LINE=\(event.line)", "CODE_FUNC=\(event.function)", "SYNCD_LOGGER=\(label)",
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for (key, value) in merged {
            if key == "message_id" {
                fields.append("MESSAGE_ID=\(value)")
            } else {
                fields.append("SYNCD_\(Self.fieldName(key))=\(value)")
            }
        }
        Self.send(fields)
    }

    /// Field names are upper-case letters, digits and underscores (journald's rule).
    static func fieldName(_ key: String) -> String {
        String(key.uppercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }

    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    static func send(_ fields: [String]) {
        // Values may hold newlines: journald takes FIELD=value with any bytes through sendv.
        let buffers = fields.map { Array($0.utf8) }
        let storage = buffers.map { bytes -> UnsafeMutableRawPointer in
            let pointer = UnsafeMutableRawPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
            bytes.withUnsafeBytes { pointer.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
            return pointer
        }
        defer { for pointer in storage { pointer.deallocate() } }
        var vectors = zip(storage, buffers).map { iovec(iov_base: $0.0, iov_len: $0.1.count) }
        _ = sd_journal_sendv(&vectors, Int32(vectors.count))
    }

    /// Whether stderr is connected to journald (`JOURNAL_STREAM` names its device and inode,
    /// as systemd sets it for a service), or `SYNCD_LOG=journal` asks for it.
    public static func journaldIsTheDestination(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        switch environment["SYNCD_LOG"] {
        case "journal": return true
        case "stderr": return false
        default: break
        }
        guard let stream = environment["JOURNAL_STREAM"] else { return false }
        let parts = stream.split(separator: ":")
        var info = stat()
        guard parts.count == 2, fstat(2, &info) == 0 else { return false }
        return String(info.st_dev) == parts[0] && String(info.st_ino) == parts[1]
    }
}
