import Hummingbird
public import Prometheus
import ServiceSupport

/// The server's Prometheus metrics, served at `/metrics`.
public struct ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let uploadsCompleted: Counter
    let uploadedBytes: Counter
    let shareViews: Counter
    let longPollsWaiting: Gauge
    let requestDuration: DurationHistogram

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        uploadsCompleted = registry.makeCounter(
            descriptor: Self.name("uploads_completed", "total", "Uploads recorded as new revisions (deduplicated ones included).")
        )
        uploadedBytes = registry.makeCounter(descriptor: Self.name("uploaded", "bytes_total", "Bytes of the revisions recorded."))
        shareViews = registry.makeCounter(descriptor: Self.name("share_views", "total", "Share pages and downloads served."))
        longPollsWaiting = registry.makeGauge(descriptor: Self.name("change_polls", "waiting", "Change-feed long-polls waiting now."))
        requestDuration = registry.makeDurationHistogram(
            descriptor: Self.name("http_request_duration", "seconds", "Time to answer an HTTP request."),
            buckets: [.milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(2), .seconds(10), .seconds(60)]
        )
        // Every labelled series exists from the start, at 0: an `increase()` alert sees the
        // first 5xx or refused sign-in, not only the second.
        for status in ["2xx", "3xx", "4xx", "5xx"] { requestCounter(status) }
        for outcome in ["ok", "refused"] { signInCounter(outcome) }
        for outcome in ["approved", "denied"] { deviceAuthorizationCounter(outcome) }
        for budget in [DeviceCodeBudget.user, .serverWide] { budgetCounter(budget) }
        // The usual `_build_info` gauge: always 1, the version in a label.
        registry.makeGauge(
            descriptor: Self.name("build", "info", "The running syncd-server's version (always 1)."),
            labels: [("version", BuildInfo.version)]
        )
        .set(to: 1.0)
    }

    func countRequest(status: HTTPResponse.Status) {
        requestCounter("\(status.code / 100)xx").increment()
    }

    /// Browser sign-ins by outcome ("ok", "refused").
    func signIns(outcome: String) {
        signInCounter(outcome).increment()
    }

    /// Device authorizations by outcome ("approved", "denied").
    func deviceAuthorizations(outcome: String) {
        deviceAuthorizationCounter(outcome).increment()
    }

    /// A budget of wrong device user codes used up ("user" or "server"; `DeviceCodeLimits`).
    func deviceCodeBudgetSpent(_ budget: DeviceCodeBudget) {
        budgetCounter(budget).increment()
    }

    // The registry hands back the same counter for the same name and labels.
    @discardableResult
    private func requestCounter(_ statusClass: String) -> Counter {
        registry.makeCounter(
            descriptor: Self.name("http_requests", "total", "HTTP requests answered, by status class."),
            labels: [("status", statusClass)]
        )
    }

    @discardableResult
    private func signInCounter(_ outcome: String) -> Counter {
        registry.makeCounter(descriptor: Self.name("sign_ins", "total", "Browser sign-ins finished, by outcome."), labels: [("outcome", outcome)])
    }

    @discardableResult
    private func deviceAuthorizationCounter(_ outcome: String) -> Counter {
        registry.makeCounter(
            descriptor: Self.name("device_authorizations", "total", "Device codes decided by a signed-in user, by outcome."),
            labels: [("outcome", outcome)]
        )
    }

    @discardableResult
    private func budgetCounter(_ budget: DeviceCodeBudget) -> Counter {
        registry.makeCounter(
            descriptor: Self.name("device_code_budgets_spent", "total", "Budgets of wrong device codes used up, by budget (user, server)."),
            labels: [("budget", budget.rawValue)]
        )
    }

    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "syncd_server", metricName: metric, unitName: unit, helpText: help)
    }

    /// The exposition text.
    func render() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}

/// Counts every request by status class and times it.
struct MetricsRecordingMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.countRequest(status: response.status)
            metrics.requestDuration.record(ContinuousClock.now - started)
            return response
        } catch let error as any HTTPResponseError {
            metrics.countRequest(status: error.status)
            metrics.requestDuration.record(ContinuousClock.now - started)
            throw error
        } catch {
            metrics.countRequest(status: .internalServerError)
            throw error
        }
    }
}
