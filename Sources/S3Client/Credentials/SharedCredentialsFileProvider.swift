public import Foundation

/// Keys from the shared credentials file (`~/.aws/credentials`), as the AWS CLI writes it.
///
/// The file is an INI file of profiles: `[default]`, `[work]`, each with `aws_access_key_id`,
/// `aws_secret_access_key` and optionally `aws_session_token`. The file is
/// `AWS_SHARED_CREDENTIALS_FILE` if set; the profile is `AWS_PROFILE` if set, else `default`.
public struct SharedCredentialsFileProvider: CredentialProvider {
    public let path: String
    public let profile: String

    public init(path: String? = nil, profile: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        let home = environment["HOME"] ?? NSHomeDirectory()
        self.path = path ?? environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials"
        self.profile = profile ?? environment["AWS_PROFILE"] ?? "default"
    }

    public func credentials() async throws -> S3Credentials {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw S3Error.noCredentials("cannot read the shared credentials file \(path): \(error.localizedDescription)")
        }
        let profiles = Self.parseINI(text)
        guard let section = profiles[profile] else {
            throw S3Error.noCredentials("profile [\(profile)] is not in \(path)")
        }
        guard let id = section["aws_access_key_id"], let secret = section["aws_secret_access_key"] else {
            throw S3Error.noCredentials("profile [\(profile)] in \(path) lacks aws_access_key_id or aws_secret_access_key")
        }
        return S3Credentials(accessKeyId: id, secretAccessKey: secret, sessionToken: section["aws_session_token"])
    }

    /// Parses INI sections into `[section: [key: value]]`. Keys are lower-cased; `#` and `;`
    /// start comment lines; `[profile name]` (the config file's spelling) is read as `name`.
    static func parseINI(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                var name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                if name.hasPrefix("profile ") { name = String(name.dropFirst("profile ".count)).trimmingCharacters(in: .whitespaces) }
                current = name
                sections[name, default: [:]] = sections[name] ?? [:]
                continue
            }
            guard let section = current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[section]?[key] = value
        }
        return sections
    }
}
