import Foundation
import Hummingbird
import HummingbirdTesting
import SyncAPI
import Testing

@testable import SyncServer

/// The served OpenAPI document is valid, and every operation it lists exists and is protected.
@Suite struct OpenAPITests {
    @Test func documentIsValidAndMatchesTheRoutes() async throws {
        try await APIEnvironment.with(.sqlite) { _, client in
            let (status, body) = try await client.api(.get, "/api/v1/openapi.yaml", token: nil)
            #expect(status == .ok)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("openapi-\(UUID().uuidString).yaml")
            try body.write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let script = try #require(Bundle.module.path(forResource: "openapi_check", ofType: "py", inDirectory: "Fixtures"))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", script, file.path]
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let listing = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let problems = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "the document does not validate: \(problems)")
            let operations = listing.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            #expect(
                Set(operations.map { $0.joined(separator: " ") }) == [
                    "GET /files", "GET /folder", "GET /tree", "GET /search", "POST /folders", "POST /move", "GET /trash", "POST /trash",
                    "POST /trash/restore", "GET /versions",
                    "POST /versions/restore", "POST /uploads", "POST /uploads/{id}/parts", "GET /uploads/{id}/parts", "POST /batch/uploads",
                    "POST /batch/complete", "POST /uploads/{id}/complete",
                    "DELETE /uploads/{id}", "GET /download", "GET /preview", "GET /changes", "GET /shares", "POST /shares", "DELETE /shares/{id}",
                    "GET /shares/{id}/events",
                    "GET /devices", "DELETE /devices/{id}", "PUT /devices/current/excluded-folders", "GET /session", "GET /storage",
                    "POST /device/code public", "POST /device/token public",
                ],
                "every route of the API is documented, and only the device flow is public"
            )
            for operation in operations {
                let path = "/api/v1" + operation[1].replacingOccurrences(of: "{id}", with: "some-id")
                let method = HTTPRequest.Method(operation[0])!
                let answer = try await client.api(method, path, token: nil)
                if operation.last == "public" {
                    #expect(answer.status == .badRequest, "\(operation[0]) \(path) answered \(answer.status) to an empty body")
                } else {
                    #expect(answer.status == .unauthorized, "\(operation[0]) \(path) answered \(answer.status) without a token")
                }
            }
            // And an undocumented path is not found, so the check above means something.
            #expect(try await client.api(.get, "/api/v1/not-a-route", token: nil).status != .ok)
        }
    }
}

/// `/metrics` in the Prometheus text format, with the server's own figures, on the metrics
/// listener only.
@Suite struct MetricsTests {
    @Test func metricsCountRequestsUploadsAndShareViews() async throws {
        try await APIEnvironment.with(.sqlite) { env, client in
            let (_, token) = try await env.newUser()
            #expect(try await client.api(.get, "/api/v1/files", token: nil).status == .unauthorized)
            let file = try await env.put(Array("counted".utf8), at: "counted.txt", token: token, client: client)
            let share = try decode(
                ShareInfo.self,
                try await client.api(.post, "/api/v1/shares", token: token, body: CreateShareRequest(path: file.path)).body
            )
            #expect(try await client.execute(uri: "/s/\(share.url.split(separator: "/").last!)", method: .get) { $0.status } == .ok)
            let text = try await Application(router: buildMetricsRouter(env.metrics)).test(.router) { metrics in
                try await metrics.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            }
            #expect(text.contains("syncd_server_uploads_completed_total 1"))
            #expect(text.contains("syncd_server_uploaded_bytes_total 7"))
            #expect(text.contains("syncd_server_share_views_total 1"))
            #expect(text.contains(#"syncd_server_http_requests_total{status="4xx"} 1"#))
            #expect(text.contains(#"syncd_server_http_requests_total{status="2xx"}"#))
            #expect(text.contains("syncd_server_http_request_duration_seconds_bucket"))
            // The public port does not serve them (they have their own listener, metrics.listen).
            #expect(try await client.execute(uri: "/metrics", method: .get) { $0.status } == .notFound)
        }
    }
}
