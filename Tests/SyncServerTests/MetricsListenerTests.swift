import Foundation
import Hummingbird
import HummingbirdTesting
import TOMLConfig
import Testing

@testable import SyncServer

/// `/metrics` lives on its own listener (`metrics.listen`), off unless configured.
@Suite struct MetricsListenerTests {
    static func settings(_ environment: [String: String]) throws -> ServerSettings {
        let document = try TOMLDocument(parsing: ServerSettingsTests.example)
        return try ServerSettings.load(
            ConfigSource(
                document: document,
                origin: "example",
                environment: ["SYNCD_AUTH_SESSION_SECRET": String(repeating: "s", count: 48), "SYNCD_AUTH_CLIENT_SECRET": "cs"].merging(environment) {
                    _,
                    new in new
                }
            )
        )
    }

    @Test func theListenerIsOffUnlessConfigured() throws {
        #expect(try Self.settings([:]).metricsListen == nil, "the example leaves it off")
        #expect(try Self.settings(["SYNCD_METRICS_LISTEN": "127.0.0.1:9465"]).metricsListen == ListenAddress(host: "127.0.0.1", port: 9465))
        #expect(throws: ConfigError.self) { try Self.settings(["SYNCD_METRICS_LISTEN": "9465"]) }
    }

    /// Over a real socket: the metrics listener answers /metrics and nothing else.
    @Test func theMetricsListenerServesMetricsOnly() async throws {
        let metrics = ServerMetrics()
        metrics.deviceAuthorizations(outcome: "approved")
        try await Application(router: buildMetricsRouter(metrics), configuration: .init(address: .hostname("127.0.0.1", port: 0))).test(.live) {
            client in
            let text = try await client.execute(uri: "/metrics", method: .get) { ($0.status, String(buffer: $0.body)) }
            #expect(text.0 == .ok && text.1.contains(#"syncd_server_device_authorizations_total{outcome="approved"} 1"#), "\(text.1)")
            // Series not counted yet are there at 0 (an alert on increase() sees the first one).
            #expect(text.1.contains(#"syncd_server_http_requests_total{status="5xx"} 0"#), "\(text.1)")
            #expect(text.1.contains(#"syncd_server_sign_ins_total{outcome="refused"} 0"#))
            #expect(text.1.contains(#"syncd_server_device_code_budgets_spent_total{budget="server"} 0"#))
            #expect(try await client.execute(uri: "/api/v1/files", method: .get) { $0.status } == .notFound)
        }
    }
}
