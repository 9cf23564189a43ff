public import Foundation

/// AWS-style access keys, optionally temporary (with a session token and an expiry).
public struct S3Credentials: Sendable, Equatable {
    public var accessKeyId: String
    public var secretAccessKey: String
    /// Present for temporary credentials (STS, instance roles); sent as `x-amz-security-token`.
    public var sessionToken: String?
    /// When temporary credentials stop working; nil for long-lived keys.
    public var expiration: Date?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }
}

/// Where credentials come from. Called before every request; implementations cache.
public protocol CredentialProvider: Sendable {
    /// Current credentials, refreshed when they are about to expire.
    func credentials() async throws -> S3Credentials
}

/// Fixed keys, given in code or configuration.
public struct StaticCredentialProvider: CredentialProvider {
    public let value: S3Credentials

    public init(_ credentials: S3Credentials) {
        self.value = credentials
    }

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.value = S3Credentials(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, sessionToken: sessionToken)
    }

    public func credentials() async throws -> S3Credentials { value }
}

/// Keys from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.
public struct EnvironmentCredentialProvider: CredentialProvider {
    let environment: [String: String]

    /// Reads the process environment, or the dictionary given (for tests and embedding).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    public func credentials() async throws -> S3Credentials {
        guard let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty,
            let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty
        else {
            throw S3Error.noCredentials("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set")
        }
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return S3Credentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token)
    }
}
