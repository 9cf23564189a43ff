import Foundation
import Hummingbird
import NIOCore
import Prometheus
import SyncAPI

/// Share links: the owner's API (create, list, revoke) and the public `/s/<token>` page and
/// download, which check revocation and expiry on every visit and redirect to a presigned GET
/// that lives minutes.
struct SharesAPI {
    let store: MetadataStore
    let blobs: BlobStore
    /// The server's address as visitors reach it, for the links it hands out.
    let publicBaseURL: String
    /// The longest a link may live; nil allows links that never expire.
    let maxLifetime: TimeInterval?
    let metrics: ServerMetrics
    /// Share visits per client address: a burst, then this many a minute.
    var visitBurst = 30
    var visitsPerMinute: Double = 60

    static let defaultLifetime: TimeInterval = 7 * 86_400
    /// The longest expiry a link can be asked for, whatever the server allows: 100 years.
    static let maxExpirySeconds = 100 * 365 * 86_400

    func register(api: RouterGroup<AppRequestContext>, public router: Router<AppRequestContext>) {
        api.post("shares") { request, context in
            let user = try context.requireCaller().user
            let body = try await request.decode(as: CreateShareRequest.self, context: context)
            let lifetime: TimeInterval? =
                switch body.expiresInSeconds {
                case nil: Self.defaultLifetime
                case 0?: nil
                case let seconds?: TimeInterval(seconds)
                }
            if let seconds = body.expiresInSeconds, !(0...Self.maxExpirySeconds).contains(seconds) {
                throw APIError(
                    .badRequest,
                    code: "invalid_expiry",
                    "expiresInSeconds must be 1...\(Self.maxExpirySeconds) (100 years), or 0 for never"
                )
            }
            if let maxLifetime, (lifetime ?? .infinity) > maxLifetime {
                throw APIError(.badRequest, code: "expiry_too_long", "links on this server live at most \(Int(maxLifetime)) seconds")
            }
            let share = try await store.createShare(userId: user.id, path: body.path, expiresAt: lifetime.map { Date().addingTimeInterval($0) })
            return try json(info(share), status: .created)
        }
        api.get("shares") { _, context in
            let user = try context.requireCaller().user
            return try json(try await store.shares(userId: user.id).map(info))
        }
        api.delete("shares/{id}") { _, context in
            let user = try context.requireCaller().user
            guard try await store.revokeShare(id: try context.parameters.require("id"), userId: user.id) else {
                throw APIError(.notFound, code: "not_found", "no such share")
            }
            return Response(status: .noContent)
        }

        // Visitors are anonymous: a rate per address keeps token guessing and scraping slow.
        let visits = router.group("s").add(middleware: RateLimitMiddleware(capacity: visitBurst, perMinute: visitsPerMinute))
        visits.get("{token}") { _, context in
            // A person opened this link in a browser: a refusal is a page too, not JSON.
            do {
                return try await sharePage(token: try context.parameters.require("token"))
            } catch let error as APIError {
                let text = error.status == .gone ? "This link has expired." : "This link does not exist, or its owner revoked it."
                return HTMLPage.response(title: "Link not available", body: "<p>\(text)</p>", status: error.status)
            }
        }
        visits.get("{token}/download") { _, context in
            let (_, file, owner) = try await open(try context.parameters.require("token"))
            let url = try await blobs.presignGet(key: blobs.key(userId: owner, sha256: file.contentHash ?? ""), filename: file.name)
            return Response(status: .found, headers: [.location: url, .cacheControl: "no-store"])
        }
        // The media of the page's preview: inline, as a type that cannot run script.
        visits.get("{token}/preview") { _, context in
            let (_, file, owner) = try await open(try context.parameters.require("token"), counting: false)
            guard let type = FileCategory.previewType(name: file.name) else {
                throw APIError(.notFound, code: "no_preview", "this file has no preview")
            }
            let url = try await blobs.presignInline(
                key: blobs.key(userId: owner, sha256: file.contentHash ?? ""),
                filename: file.name,
                contentType: type.contentType
            )
            return Response(status: .found, headers: [.location: url, .cacheControl: "no-store"])
        }
    }

    /// The public page of a valid link.
    private func sharePage(token: String) async throws -> Response {
        let (share, file, owner) = try await open(token)
        let page = SharePage.html(
            name: file.name,
            size: file.size,
            category: FileCategory(name: file.name),
            downloadPath: "/s/\(share.token)/download",
            preview: try await preview(of: file, owner: owner, token: share.token)
        )
        return HTMLPage.document(page, policy: SharePage.contentSecurityPolicy(bucketOrigin: blobs.origin))
    }

    static let textPreviewBytes: Int64 = 64 << 10

    /// Media are fetched by the visitor's browser; text is read here and put in the page, escaped.
    private func preview(of file: FileRecord, owner: String, token: String) async throws -> SharePage.Preview {
        guard let type = FileCategory.previewType(name: file.name) else { return .none }
        guard type.category == .text else { return .media(type.category, source: "/s/\(token)/preview") }
        guard file.size > 0 else { return .text("", truncated: false) }
        let end = min(file.size, Self.textPreviewBytes) - 1
        let bytes = try await blobs.read(blobs.key(userId: owner, sha256: file.contentHash ?? ""), range: 0...end)
        return .text(String(decoding: bytes, as: UTF8.self), truncated: file.size > Self.textPreviewBytes)
    }

    /// 404 for unknown, revoked or trashed; 410 for expired.
    private func open(_ token: String, counting: Bool = true) async throws -> (ShareRecord, FileRecord, owner: String) {
        switch try await store.openShare(token: token, counting: counting) {
        case .valid(let share, let file, let userId):
            if counting { metrics.shareViews.increment() }
            return (share, file, userId)
        case .expired:
            throw APIError(.gone, code: "share_expired", "this link has expired")
        case .gone:
            throw APIError(.notFound, code: "not_found", "no such link")
        }
    }

    func info(_ share: ShareRecord) -> ShareInfo {
        ShareInfo(
            id: share.id,
            url: "\(publicBaseURL)/s/\(share.token)",
            path: share.path,
            createdAt: share.createdAt.timeIntervalSince1970,
            expiresAt: share.expiresAt?.timeIntervalSince1970,
            revoked: share.revokedAt != nil,
            views: share.views
        )
    }
}
