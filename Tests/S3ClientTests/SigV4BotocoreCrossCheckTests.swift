import Foundation
import Testing

@testable import S3Client

/// Hundreds of random S3 requests signed both by botocore (the AWS CLI's signer) and by
/// ``SigV4Signer``: any difference in encoding, header canonicalisation or query ordering shows.
@Suite struct SigV4BotocoreCrossCheckTests {
    struct Case: Decodable {
        var method: String
        var scheme: String
        var host: String
        var port: Int?
        var encodedPath: String
        var query: [[String]]
        var headers: [[String]]
        var accessKey: String
        var secretKey: String
        var sessionToken: String?
        var region: String
        var epoch: Double
        var body: String
        var signPayload: Bool
        var expires: Int
        var expectedHeaders: [String: String]
        var expectedPresignedURL: String
    }

    static let seed = ProcessInfo.processInfo.environment["SYNCD_SIGV4_SEED"].flatMap(UInt64.init) ?? UInt64(Date().timeIntervalSince1970)
    static let count = 400

    static func botocoreCases() throws -> [Case] {
        let script = try #require(Bundle.module.path(forResource: "botocore_sigv4", ofType: "py", inDirectory: "Fixtures"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, String(seed), String(count)]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "botocore_sigv4.py failed (is botocore installed?)")
        return try JSONDecoder().decode([Case].self, from: data)
    }

    @Test func signaturesMatchBotocore() throws {
        let cases = try Self.botocoreCases()
        #expect(cases.count == Self.count)
        var mismatches = 0
        for (index, item) in cases.enumerated() {
            let signer = SigV4Signer(
                credentials: S3Credentials(accessKeyId: item.accessKey, secretAccessKey: item.secretKey, sessionToken: item.sessionToken),
                region: item.region
            )
            let request = SigV4Request(
                method: item.method,
                scheme: item.scheme,
                host: item.host,
                port: item.port,
                encodedPath: item.encodedPath,
                query: item.query.map { (name: $0[0], value: $0[1]) },
                headers: item.headers.map { (name: $0[0], value: $0[1]) }
            )
            let date = Date(timeIntervalSince1970: item.epoch)
            let payload: SigV4Signer.Payload = item.signPayload ? .bytes(Array(item.body.utf8)) : .unsigned

            let signed = signer.signed(request, payload: payload, date: date)
            for (name, expected) in item.expectedHeaders {
                if signed.header(name) != expected {
                    mismatches += 1
                    Issue.record("seed \(Self.seed) case \(index) header \(name): swift \(signed.header(name) ?? "nil") botocore \(expected)")
                }
            }
            let presigned = signer.presignedURL(request, expires: item.expires, date: date)
            let ours = Self.queryItems(presigned)
            let theirs = Self.queryItems(item.expectedPresignedURL)
            if ours != theirs || Self.base(presigned) != Self.base(item.expectedPresignedURL) {
                mismatches += 1
                Issue.record("seed \(Self.seed) case \(index) presigned URL:\n swift    \(presigned)\n botocore \(item.expectedPresignedURL)")
            }
            if mismatches > 10 { break }
        }
        if mismatches > 0 {
            Issue.record("replay with SYNCD_SIGV4_SEED=\(Self.seed)")
        }
    }

    /// Query items as sent, sorted: botocore orders the presigned query differently, which
    /// is not a difference S3 sees.
    static func queryItems(_ url: String) -> [String] {
        guard let question = url.firstIndex(of: "?") else { return [] }
        return url[url.index(after: question)...].split(separator: "&").map(String.init).sorted()
    }

    /// Scheme, host and path; an explicit default port (botocore keeps the one it was given)
    /// is the same URL without it.
    static func base(_ url: String) -> String {
        let base = String(url.prefix { $0 != "?" })
        guard let schemeEnd = base.range(of: "://"), let pathStart = base[schemeEnd.upperBound...].firstIndex(of: "/") else { return base }
        let scheme = base[..<schemeEnd.lowerBound]
        var authority = String(base[schemeEnd.upperBound..<pathStart])
        let defaultPort = scheme == "https" ? ":443" : ":80"
        if authority.hasSuffix(defaultPort) { authority.removeLast(defaultPort.count) }
        return "\(scheme)://\(authority)\(base[pathStart...])"
    }
}
