/// What this build is: the version both programs print (`--version`), send (the daemon's
/// User-Agent), log at start and export (`syncd_build_info`, `syncd_server_build_info`).
///
/// The one place the version is written is `Sources/ServiceSupport/VERSION` (the repository's
/// `VERSION` links to it), compiled into the binaries; `scripts/release` names its artifacts by
/// it.
public enum BuildInfo {
    public static let version: String = {
        let text = String(decoding: PackageResources.VERSION, as: UTF8.self)
        return String(text.filter { !$0.isWhitespace })
    }()

    /// `syncd/0.1.0`: how the daemon names itself to the server and to S3.
    public static func userAgent(_ program: String) -> String { "\(program)/\(version)" }
}
