public import Foundation
import Glibc
import TOMLConfig

/// Where syncd keeps its files, XDG style: configuration and the device token under
/// `$XDG_CONFIG_HOME/syncd` (`~/.config/syncd`), the journal and the control socket under
/// `$XDG_STATE_HOME/syncd` (`~/.local/state/syncd`).
public struct DaemonPaths: Sendable, Equatable {
    public var configDir: String
    public var stateDir: String

    public init(configDir: String, stateDir: String) {
        self.configDir = configDir
        self.stateDir = stateDir
    }

    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> DaemonPaths {
        let home = environment["HOME"] ?? NSHomeDirectory()
        let config = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.config"
        let state = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.local/state"
        return DaemonPaths(configDir: config + "/syncd", stateDir: state + "/syncd")
    }

    public var credentialsFile: String { configDir + "/credentials.toml" }
    public var configFile: String { configDir + "/config.toml" }
    public var journalFile: String { stateDir + "/journal.sqlite" }
    public var controlSocket: String { stateDir + "/control.sock" }
    /// Names the folder the journal belongs to.
    public var folderMarker: String { stateDir + "/folder" }
    /// The folders `syncd exclude add` recorded (``ExcludedFolders``).
    public var excludedFoldersFile: String { stateDir + "/excluded-folders.json" }
}

/// The server and the device token `syncd login` obtained. Written with mode 0600.
public struct Credentials: Sendable, Equatable {
    public var server: String
    public var token: String
    public var deviceId: String?
    /// The account (e-mail address) the token belongs to, as the server named it at login.
    public var account: String?

    public init(server: String, token: String, deviceId: String?, account: String? = nil) {
        self.server = server
        self.token = token
        self.deviceId = deviceId
        self.account = account
    }

    public static func load(from path: String) throws -> Credentials? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let source = try ConfigSource.load(path: path, environment: [:])
        return Credentials(
            server: try source.requiredString("server"),
            token: try source.requiredString("token"),
            deviceId: try source.string("device_id"),
            account: try source.string("account")
        )
    }

    /// Writes the file atomically, readable by its owner only.
    public func save(to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var text = "# Written by `syncd login`. The token is a secret: keep this file 0600.\n"
        text += "server = \(Self.quoted(server))\ntoken = \(Self.quoted(token))\n"
        if let deviceId { text += "device_id = \(Self.quoted(deviceId))\n" }
        if let account { text += "account = \(Self.quoted(account))\n" }
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ControlError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw ControlError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// A TOML basic string.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += String(format: "\\u%04X", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
