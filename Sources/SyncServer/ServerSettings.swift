import Foundation
public import Logging
import ServiceSupport
public import TOMLConfig

/// The server's settings, from `syncd-server.toml` and `SYNCD_*` environment variables
/// (documented in `config/syncd-server.toml`). No secret has a default.
public struct ServerSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// How users and visitors reach the server (share links); defaults to http://host:port.
    public var publicURL: String
    /// An SQLite file, or a postgres:// URL.
    public var database: String
    public var s3Endpoint: String
    public var s3Region: String
    public var s3Bucket: String
    /// The longest a share link may live, in days; nil allows links that never expire.
    public var maxShareDays: Double?
    /// Signs browser sessions; at least 32 characters, from a secret store, never a default.
    public var sessionSecret: String
    /// Browser sign-in (OpenID Connect); nil when no client id is configured, and then only
    /// admin-issued device tokens get in.
    public var oidc: OIDCSettings?
    /// Proxies whose X-Forwarded-For is believed (e.g. ["127.0.0.1"] behind nginx).
    public var trustedProxies: [String] = []
    /// The most bytes one user's files (and uploads in progress) may take; nil: no cap.
    public var userQuota: Int64?
    /// How long old versions are kept, in days (`limits.version_days`, default 30); nil: for
    /// ever. They do not count against the quota; this bounds them, as the trash's 30 days do.
    public var versionDays: Double? = 30
    /// Whether the server sets the bucket's CORS rules at start, so that browsers on the
    /// public URL may PUT and GET through presigned URLs (the dashboard's uploads and previews).
    public var manageCORS = true
    /// Where `/metrics` is served (`metrics.listen`, e.g. 127.0.0.1:9465); nil: nowhere. The
    /// public port never serves it.
    public var metricsListen: ListenAddress?
    /// `log.level`: what is logged, from `trace` to `critical` (default `info`).
    public var logLevel: Logger.Level = .info

    /// - Parameter credentials: systemd's `$CREDENTIALS_DIRECTORY`, where `LoadCredential=`
    ///   puts `session-secret` and `client-secret`.
    public static func load(_ config: ConfigSource, credentials: String? = nil) throws -> ServerSettings {
        /// A secret systemd handed over as a file in $CREDENTIALS_DIRECTORY.
        func credential(_ name: String) -> String? {
            guard let credentials else { return nil }
            let value = (try? String(contentsOfFile: credentials + "/" + name, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            return value?.isEmpty == false ? value : nil
        }
        let host = try config.string("server.host") ?? "127.0.0.1"
        let port = try config.int("server.port") ?? 8080
        guard (1...65_535).contains(port) else { throw ConfigError("server.port must be 1-65535, not \(port)") }
        // Secrets can come from systemd (LoadCredential=session-secret:…, client-secret:…).
        let secret =
            try config.string("auth.session_secret").flatMap { $0.isEmpty ? nil : $0 } ?? credential("session-secret")
            ?? config.requiredString("auth.session_secret")
        guard secret.count >= 32 else {
            throw ConfigError("auth.session_secret must be at least 32 characters (try: openssl rand -base64 48)")
        }
        let maxDays = try config.double("shares.max_days")
        if let maxDays, !(maxDays.isFinite && maxDays <= 36_500) {
            throw ConfigError("shares.max_days must be a number of days up to 36500 (100 years), or 0 for links that may never expire")
        }
        var oidc: OIDCSettings?
        if let clientId = try config.string("auth.client_id"), !clientId.isEmpty {
            let emails = try config.strings("auth.allowed_emails") ?? []
            let domains = try config.strings("auth.allowed_domains") ?? []
            guard !emails.isEmpty || !domains.isEmpty else {
                throw ConfigError(
                    "auth.allowed_emails or auth.allowed_domains must say who may sign in (otherwise any account of the provider could)"
                )
            }
            oidc = OIDCSettings(
                issuer: try config.string("auth.issuer") ?? "https://accounts.google.com",
                clientId: clientId,
                clientSecret: try config.string("auth.client_secret").flatMap { $0.isEmpty ? nil : $0 } ?? credential("client-secret")
                    ?? config.requiredString("auth.client_secret"),
                allowList: SignInAllowList(emails: emails, domains: domains)
            )
        }
        var metricsListen: ListenAddress?
        if let listen = try config.string("metrics.listen"), !listen.isEmpty {
            guard let address = ListenAddress.parse(listen) else {
                throw ConfigError("metrics.listen must be HOST:PORT, e.g. 127.0.0.1:9465, not \"\(listen)\"")
            }
            metricsListen = address
        }
        var settings = ServerSettings(
            host: host,
            port: port,
            publicURL: try config.string("server.public_url") ?? "http://\(host):\(port)",
            database: try config.string("database.url") ?? "syncd-server.sqlite",
            s3Endpoint: try config.requiredString("s3.endpoint"),
            s3Region: try config.string("s3.region") ?? "us-east-1",
            s3Bucket: try config.requiredString("s3.bucket"),
            maxShareDays: maxDays.flatMap { $0 > 0 ? $0 : nil },
            sessionSecret: secret,
            oidc: oidc,
            trustedProxies: try config.strings("server.trusted_proxies") ?? [],
            userQuota: try ByteSize.parse(config.string("limits.user_quota"), key: "limits.user_quota", minimum: 1 << 20),
            manageCORS: try config.bool("s3.manage_cors") ?? true
        )
        settings.metricsListen = metricsListen
        settings.logLevel = try logLevel(config)
        if let days = try config.double("limits.version_days") {
            guard days.isFinite, (0...36_500).contains(days) else {
                throw ConfigError("limits.version_days must be 0-36500 days (0: keep old versions for ever)")
            }
            settings.versionDays = days > 0 ? days : nil
        }
        return settings
    }

    /// `log.level`, one of swift-log's levels.
    public static func logLevel(_ config: ConfigSource) throws -> Logger.Level {
        guard let name = try config.string("log.level") else { return .info }
        guard let level = ServiceLogging.level(named: name) else {
            throw ConfigError("log.level must be one of \(ServiceLogging.levelNames), not \"\(name)\"")
        }
        return level
    }

    /// The origin (`scheme://host[:port]`) of a URL: what a browser sends as `Origin`.
    public static func origin(of url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        return String(url[..<schemeEnd.upperBound]) + String(rest.prefix { $0 != "/" })
    }
}
