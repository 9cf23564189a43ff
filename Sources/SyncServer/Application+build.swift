public import Foundation
public import Hummingbird
public import Logging

/// What the server needs to run: where its metadata and bytes live, and its limits.
public struct ServerDependencies: Sendable {
    public var store: MetadataStore
    public var blobs: BlobStore
    /// The server's address as users and visitors reach it (for share links).
    public var publicBaseURL: String
    /// The longest a share link may live; nil allows links that never expire.
    public var maxShareLifetime: TimeInterval?
    /// Prometheus metrics, served at `/metrics` on their own listener (`buildMetricsApplication`).
    public var metrics: ServerMetrics
    /// Share-link visits per client address: a burst, then a sustained rate per minute.
    public var shareVisitBurst = 30
    public var shareVisitsPerMinute: Double = 60
    /// Sign-in requests per client address: a burst, then a sustained rate per minute.
    public var signInBurst = 20
    public var signInsPerMinute: Double = 30
    /// Device codes asked for per client address: a burst, then a sustained rate per minute.
    public var deviceCodeBurst = 10
    public var deviceCodesPerMinute: Double = 10
    /// Budgets for wrong user codes typed on the device approval page.
    public var deviceCodeLimits = DeviceCodeLimits()
    /// Browser sign-in; nil when the server only serves device tokens.
    public var oidc: OIDCProvider?
    /// Reverse proxies whose X-Forwarded-For names the client (nginx on the same machine).
    public var trustedProxies: Set<String> = []
    /// Session ids and CSRF tokens, keyed by the server's session secret.
    public var sessions: SessionKeys
    /// The most bytes one user's files and pending uploads may take; nil: no cap. The store
    /// holds it, since its transactions enforce it.
    public var userQuota: Int64? {
        get { store.userQuota }
        set { store.userQuota = newValue }
    }

    public init(
        store: MetadataStore,
        blobs: BlobStore,
        publicBaseURL: String = "http://127.0.0.1:8080",
        maxShareLifetime: TimeInterval? = nil,
        metrics: ServerMetrics = ServerMetrics(),
        oidc: OIDCProvider? = nil,
        sessions: SessionKeys = .random()
    ) {
        self.oidc = oidc
        self.sessions = sessions
        self.metrics = metrics
        self.store = store
        self.blobs = blobs
        self.publicBaseURL = publicBaseURL
        self.maxShareLifetime = maxShareLifetime
    }
}

/// The router: health checks, sign-in, the device flow, and the JSON API under `/api/v1`
/// behind device tokens or browser sessions. Tests build the same router.
public func buildRouter(_ dependencies: ServerDependencies) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    // Request logs carry Hummingbird's request id (hb.request.id) in their metadata.
    if !dependencies.trustedProxies.isEmpty { router.add(middleware: ForwardedForMiddleware(trusted: dependencies.trustedProxies)) }
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: MetricsRecordingMiddleware(metrics: dependencies.metrics))
    // Every refusal under /api/v1 (the device flow's too) is the API's JSON error.
    router.add(middleware: APIErrorMiddleware())
    router.get("healthz") { _, _ in "ok\n" }
    // /metrics is not here: it has its own listener (buildMetricsApplication, metrics.listen).
    router.get("readyz") { _, _ in
        _ = try await dependencies.store.database.query("SELECT 1 AS ok")
        return "ok\n"
    }
    router.get("api/v1/openapi.yaml") { _, _ in
        Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
    }
    let signIn = SignInRoutes(
        store: dependencies.store,
        oidc: dependencies.oidc,
        sessions: dependencies.sessions,
        publicBaseURL: dependencies.publicBaseURL,
        metrics: dependencies.metrics
    )
    signIn.register(on: router, burst: dependencies.signInBurst, perMinute: dependencies.signInsPerMinute)
    DashboardPage(
        store: dependencies.store,
        sessions: dependencies.sessions,
        signInAvailable: dependencies.oidc != nil,
        bucketOrigin: dependencies.blobs.origin
    ).register(on: router)
    StaticAssets.register(on: router)
    DeviceFlowRoutes(
        store: dependencies.store,
        sessions: dependencies.sessions,
        publicBaseURL: dependencies.publicBaseURL,
        metrics: dependencies.metrics,
        codeBurst: dependencies.deviceCodeBurst,
        codesPerMinute: dependencies.deviceCodesPerMinute,
        limits: dependencies.deviceCodeLimits
    ).register(on: router)
    let api = router.group("api/v1").add(middleware: AuthMiddleware(store: dependencies.store, sessions: dependencies.sessions))
    signIn.registerAPI(on: api, quota: dependencies.userQuota, maxShareLifetime: dependencies.maxShareLifetime)
    FilesAPI(store: dependencies.store, blobs: dependencies.blobs, metrics: dependencies.metrics).register(on: api)
    HistoryAPI(store: dependencies.store).register(on: api)
    DevicesAPI(store: dependencies.store).register(on: api)
    StorageAPI(blobs: dependencies.blobs).register(on: api)
    let uploads = UploadsAPI(
        store: dependencies.store,
        blobs: dependencies.blobs,
        metrics: dependencies.metrics
    )
    uploads.register(on: api)
    SharesAPI(
        store: dependencies.store,
        blobs: dependencies.blobs,
        publicBaseURL: dependencies.publicBaseURL,
        maxLifetime: dependencies.maxShareLifetime,
        metrics: dependencies.metrics,
        sessions: dependencies.sessions,
        uploads: uploads,
        visitBurst: dependencies.shareVisitBurst,
        visitsPerMinute: dependencies.shareVisitsPerMinute
    ).register(api: api, public: router)
    return router
}

/// Builds the server application.
public func buildApplication(
    _ dependencies: ServerDependencies,
    host: String,
    port: Int,
    logger: Logger = Logger(label: "syncd-server"),
    onServerRunning: @escaping @Sendable () async -> Void = {}
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(dependencies),
        configuration: .init(address: .hostname(host, port: port), serverName: "syncd-server"),
        onServerRunning: { _ in await onServerRunning() },
        logger: logger
    )
}
