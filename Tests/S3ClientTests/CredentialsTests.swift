import Foundation
import Synchronization
import Testing

@testable import S3Client

@Suite struct CredentialsTests {
    @Test func environment() async throws {
        let env = ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "tok"]
        let credentials = try await EnvironmentCredentialProvider(environment: env).credentials()
        #expect(credentials == S3Credentials(accessKeyId: "AKIDENV", secretAccessKey: "secret", sessionToken: "tok"))
        await #expect(throws: S3Error.self) { try await EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": "only"]).credentials() }
    }

    @Test func sharedFileProfiles() async throws {
        let scratch = try ScratchFolder()
        let path = scratch.path + "/credentials"
        try """
        # written by aws configure
        [default]
        aws_access_key_id = AKIDDEFAULT
        aws_secret_access_key = defaultsecret

        [profile backup]
        aws_access_key_id=AKIDBACKUP
        aws_secret_access_key=backup/secret+with=signs
        aws_session_token = sessiontoken
        ; a comment
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let fallback = try await SharedCredentialsFileProvider(environment: ["AWS_SHARED_CREDENTIALS_FILE": path]).credentials()
        #expect(fallback.accessKeyId == "AKIDDEFAULT")
        let viaEnv = try await SharedCredentialsFileProvider(environment: ["AWS_SHARED_CREDENTIALS_FILE": path, "AWS_PROFILE": "backup"])
            .credentials()
        #expect(viaEnv == S3Credentials(accessKeyId: "AKIDBACKUP", secretAccessKey: "backup/secret+with=signs", sessionToken: "sessiontoken"))
        await #expect(throws: S3Error.self) { try await SharedCredentialsFileProvider(path: path, profile: "missing").credentials() }
    }

    @Test func chainTakesTheFirstProviderThatAnswers() async throws {
        let scratch = try ScratchFolder()
        let path = scratch.path + "/credentials"
        try "[default]\naws_access_key_id=FROMFILE\naws_secret_access_key=s\n".write(toFile: path, atomically: true, encoding: .utf8)
        let fileOnly = CredentialProviderChain.default(environment: ["AWS_SHARED_CREDENTIALS_FILE": path, "AWS_EC2_METADATA_DISABLED": "true"])
        #expect(try await fileOnly.credentials().accessKeyId == "FROMFILE")
        let envFirst = CredentialProviderChain.default(environment: [
            "AWS_SHARED_CREDENTIALS_FILE": path, "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ACCESS_KEY_ID": "FROMENV", "AWS_SECRET_ACCESS_KEY": "s",
        ])
        #expect(try await envFirst.credentials().accessKeyId == "FROMENV")
        let nothing = CredentialProviderChain.default(environment: [
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true",
        ])
        await #expect(throws: S3Error.self) { try await nothing.credentials() }
    }

    /// IMDSv2 against moto's instance-metadata endpoints (token, role list, role credentials).
    @Test func instanceRoleThroughIMDSv2() async throws {
        let endpoint = try S3Server.moto.settings().endpoint
        let provider = InstanceMetadataCredentialProvider(endpoint: endpoint, httpClient: TestHTTP.client)
        let credentials = try await provider.credentials()
        #expect(!credentials.accessKeyId.isEmpty)
        #expect(!credentials.secretAccessKey.isEmpty)
        #expect(credentials.sessionToken?.isEmpty == false, "role credentials are temporary")
        #expect(credentials.expiration != nil)
        #expect(await provider.fetches == 1)
        _ = try await provider.credentials()
        #expect(await provider.fetches == 1, "cached while far from expiry")
    }

    @Test func instanceRoleCredentialsRefreshBeforeExpiry() async throws {
        let endpoint = try S3Server.moto.settings().endpoint
        let clock = Mutex(Date())
        let provider = InstanceMetadataCredentialProvider(
            endpoint: endpoint,
            httpClient: TestHTTP.client,
            refreshMargin: 300,
            now: { clock.withLock { $0 } }
        )
        let first = try await provider.credentials()
        let expiration = try #require(first.expiration)
        clock.withLock { $0 = expiration.addingTimeInterval(-600) }
        _ = try await provider.credentials()
        #expect(await provider.fetches == 1, "ten minutes before expiry: still cached")
        clock.withLock { $0 = expiration.addingTimeInterval(-120) }
        _ = try await provider.credentials()
        #expect(await provider.fetches == 2, "two minutes before expiry: fetched again")
    }

    @Test func unreachableMetadataServiceIsAClearError() async throws {
        let provider = InstanceMetadataCredentialProvider(endpoint: "http://127.0.0.1:9", httpClient: TestHTTP.client)
        await #expect {
            _ = try await provider.credentials()
        } throws: { error in
            (error as? S3Error)?.kind == .noCredentials && "\(error)".contains("127.0.0.1:9")
        }
    }

    @Test func roleCredentialsJSON() throws {
        let json = #"{"Code":"Success","AccessKeyId":"ASIA1","SecretAccessKey":"s","Token":"t","Expiration":"2026-11-30T03:34:02Z"}"#
        let credentials = try InstanceMetadataCredentialProvider.decodeRoleCredentials(Data(json.utf8), role: "r")
        #expect(credentials.expiration == Date(timeIntervalSince1970: 1_796_009_642))
        let failed = #"{"Code":"AssumeRoleUnauthorizedAccess","AccessKeyId":"","SecretAccessKey":""}"#
        #expect(throws: S3Error.self) { try InstanceMetadataCredentialProvider.decodeRoleCredentials(Data(failed.utf8), role: "r") }
    }
}
