public import Logging

/// How both programs log, set up once at start: structured journald entries under systemd (or
/// with `SYNCD_LOG=journal`), readable lines on stderr otherwise; `level` drops what is below
/// it (`log.level` in either program's configuration).
public enum ServiceLogging {
    public static func bootstrap(identifier: String, level: Logger.Level) {
        let journald = JournaldLogHandler.journaldIsTheDestination()
        LoggingSystem.bootstrap { label in
            if journald {
                var handler = JournaldLogHandler(label: label, identifier: identifier)
                handler.logLevel = level
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// `trace`, `debug`, `info`, `notice`, `warning`, `error` or `critical`; nil for anything
    /// else (the caller names the setting in its error).
    public static func level(named name: String) -> Logger.Level? {
        Logger.Level(rawValue: name.lowercased())
    }

    public static let levelNames = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
}
