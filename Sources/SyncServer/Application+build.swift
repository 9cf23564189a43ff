public import Hummingbird
public import Logging

/// Builds the server application. Tests build the same application.
///
/// At this stage it serves only the health endpoints; the metadata API, sign-in and the
/// dashboard come with the server issue.
public func buildApplication(
    host: String,
    port: Int,
    logger: Logger = Logger(label: "syncd-server")
) -> some ApplicationProtocol {
    let router = Router()
    router.get("healthz") { _, _ in "ok\n" }
    router.get("readyz") { _, _ in "ok\n" }
    return Application(
        router: router,
        configuration: .init(address: .hostname(host, port: port), serverName: "syncd-server"),
        logger: logger
    )
}
