public import AsyncHTTPClient
public import Foundation

/// Tries providers in order and keeps to the first that answers, like the AWS SDKs' default
/// chain: environment, shared credentials file, then the EC2 instance role.
public actor CredentialProviderChain: CredentialProvider {
    let providers: [any CredentialProvider]
    private var chosen: (any CredentialProvider)?

    public init(_ providers: [any CredentialProvider]) {
        self.providers = providers
    }

    /// The AWS SDKs' order: environment variables, `~/.aws/credentials`, EC2 instance role.
    public static func `default`(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        httpClient: HTTPClient = .shared
    ) -> CredentialProviderChain {
        var providers: [any CredentialProvider] = [
            EnvironmentCredentialProvider(environment: environment),
            SharedCredentialsFileProvider(environment: environment),
        ]
        if environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() != "true" {
            providers.append(InstanceMetadataCredentialProvider(httpClient: httpClient, environment: environment))
        }
        return CredentialProviderChain(providers)
    }

    public func credentials() async throws -> S3Credentials {
        if let chosen { return try await chosen.credentials() }
        var reasons: [String] = []
        for provider in providers {
            do {
                let credentials = try await provider.credentials()
                chosen = provider
                return credentials
            } catch {
                reasons.append("\(error)")
            }
        }
        throw S3Error.noCredentials("no credentials found: " + reasons.joined(separator: "; "))
    }
}
