public import Foundation
import ServiceSupport
import SyncEngine
public import TOMLConfig

extension DaemonSettings {
    /// The settings from `config.toml` (every key also `SYNCD_<TABLE>_<KEY>` in the
    /// environment), the credentials `syncd login` saved (or `SYNCD_SERVER_URL` and
    /// `SYNCD_SERVER_TOKEN`), and the command line's overrides (non-nil wins).
    public static func load(
        config: ConfigSource,
        paths: DaemonPaths,
        credentials: Credentials?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        folder: String? = nil,
        mode: String? = nil
    ) throws -> DaemonSettings {
        let home = environment["HOME"] ?? NSHomeDirectory()
        var folderPath = try folder ?? config.string("sync.folder") ?? "~/Sync"
        if folderPath == "~" || folderPath.hasPrefix("~/") { folderPath = home + folderPath.dropFirst() }
        let modeName = try mode ?? config.string("sync.mode") ?? "sync"
        guard let syncMode = SyncPolicy.Mode(rawValue: modeName) else {
            throw ConfigError("sync.mode must be \"sync\" or \"backup\", not \"\(modeName)\"")
        }
        guard let server = try config.string("server.url") ?? credentials?.server else {
            throw ConfigError("no server: run `syncd login --server URL` first (or set SYNCD_SERVER_URL)")
        }
        // systemd's LoadCredential=token:… puts the token in $CREDENTIALS_DIRECTORY/token.
        let handedOver = environment["CREDENTIALS_DIRECTORY"].flatMap {
            try? String(contentsOfFile: $0 + "/token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }.flatMap { $0.isEmpty ? nil : $0 }
        guard let token = try config.string("server.token") ?? handedOver ?? credentials?.token else {
            throw ConfigError("no device token: run `syncd login --server \(server)` first (or set SYNCD_SERVER_TOKEN)")
        }
        let concurrency = try config.int("transfers.concurrency") ?? 16
        let parts = try config.int("transfers.part_concurrency") ?? 4
        guard (1...256).contains(concurrency), (1...64).contains(parts) else {
            throw ConfigError("transfers.concurrency must be 1-256 and transfers.part_concurrency 1-64")
        }
        let fraction = try config.double("brake.max_fraction") ?? 0.5
        let minCount = try config.int("brake.min_count") ?? 50
        guard fraction > 0, fraction <= 1, minCount >= 0 else { throw ConfigError("brake.max_fraction must be in (0, 1] and brake.min_count ≥ 0") }
        let rescan = try config.double("sync.rescan_interval_seconds") ?? 3600
        guard rescan >= 10 else { throw ConfigError("sync.rescan_interval_seconds must be at least 10") }
        var metricsListen: (host: String, port: Int)?
        if let listen = try config.string("metrics.listen"), !listen.isEmpty {
            let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let port = Int(parts[1]), (0...65_535).contains(port), !parts[0].isEmpty else {
                throw ConfigError("metrics.listen must be HOST:PORT, e.g. 127.0.0.1:9464, not \"\(listen)\"")
            }
            metricsListen = (String(parts[0]), port)
        }
        let uploadRate = try Self.rate(config.string("transfers.max_upload_rate"), key: "transfers.max_upload_rate")
        let downloadRate = try Self.rate(config.string("transfers.max_download_rate"), key: "transfers.max_download_rate")
        var settings = DaemonSettings(
            folder: folderPath,
            server: server,
            token: token,
            paths: paths,
            mode: syncMode,
            brake: SyncPolicy.DeleteBrake(maxFraction: fraction, minCount: minCount),
            hostName: try config.string("sync.host_name") ?? ProcessInfo.processInfo.hostName,
            transferConcurrency: concurrency,
            partConcurrency: parts,
            rescanInterval: .milliseconds(Int64(rescan * 1000))
        )
        settings.metricsListen = metricsListen
        if let name = try config.string("log.level") {
            guard let level = ServiceLogging.level(named: name) else {
                throw ConfigError("log.level must be one of \(ServiceLogging.levelNames), not \"\(name)\"")
            }
            settings.logLevel = level
        }
        settings.excluded = try (config.strings("sync.exclude") ?? []).map { text in
            guard let path = ExcludedFolders.path(text) else {
                throw ConfigError("sync.exclude names \"\(text)\": each must be a folder's path inside the synced folder, e.g. \"Photos/2019\"")
            }
            return path
        }
        settings.maxUploadRate = uploadRate
        settings.maxDownloadRate = downloadRate
        return settings
    }

    /// "10MB", "10 MB/s", "512KiB", "1.5M": bytes per second; "", "0" or "unlimited": no cap.
    static func rate(_ text: String?, key: String) throws -> Int64? {
        try ByteSize.parse(text, key: key, isRate: true)
    }
}
