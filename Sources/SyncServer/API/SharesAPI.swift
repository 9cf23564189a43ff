import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import Prometheus
import S3Client
import SyncAPI

/// Share links: the owner's API (create, list, revoke, a link's visits) and the public
/// `/s/<token>` page and download (SharesAPI+Visits.swift).
struct SharesAPI {
    let store: MetadataStore
    let blobs: BlobStore
    /// The server's address as visitors reach it, for the links it hands out.
    let publicBaseURL: String
    /// The longest a link may live; nil allows links that never expire.
    let maxLifetime: TimeInterval?
    let metrics: ServerMetrics
    /// Signs the cookie that opens a password-protected link for a while.
    let sessions: SessionKeys
    /// File requests begin and finish uploads as the owner's own do.
    let uploads: UploadsAPI
    /// Password attempts: per link and per client address, a burst, then a slow refill.
    let attemptsPerLink = NIOLockedValueBox(TokenBuckets(capacity: 5, perSecond: 5 / 600))
    let attemptsPerAddress = NIOLockedValueBox(TokenBuckets(capacity: 20, perSecond: 20 / 3600))
    /// Share visits per client address: a burst, then this many a minute.
    var visitBurst = 30
    var visitsPerMinute: Double = 60

    static let defaultLifetime: TimeInterval = 7 * 86_400
    /// The longest expiry a link can be asked for, whatever the server allows: 100 years.
    static let maxExpirySeconds = 100 * 365 * 86_400

    func register(api: RouterGroup<AppRequestContext>, public router: Router<AppRequestContext>) {
        api.post("shares") { request, context in
            let user = try context.requireCaller().user
            var body = try await request.decode(as: CreateShareRequest.self, context: context)
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
            var passwordHash: String?
            if let password = body.password {
                guard LinkPassword.isAcceptable(password) else {
                    throw APIError(
                        .badRequest,
                        code: "invalid_password",
                        "a link's password is \(LinkPassword.minimumLength) to \(CreateShareRequest.maxPasswordLength) characters, "
                            + "none of them control characters"
                    )
                }
                do {
                    passwordHash = try await LinkPassword.hash(password)
                } catch is LinkPassword.Busy {
                    throw APIError(.serviceUnavailable, code: "busy", "too many passwords are being hashed at once; try again in a moment")
                }
            }
            if var request = body.request {
                request.title = request.title.trimmingCharacters(in: .whitespaces)
                try Self.validate(request)
                body.request = request
            }
            let share = try await store.createShare(
                userId: user.id,
                path: body.path,
                expiresAt: lifetime.map { Date().addingTimeInterval($0) },
                passwordHash: passwordHash,
                request: body.request
            )
            return try json(info(share), status: .created)
        }
        api.get("shares") { _, context in
            let user = try context.requireCaller().user
            return try json(try await store.shares(userId: user.id).map(info))
        }
        api.delete("shares/{id}") { request, context in
            let user = try context.requireCaller().user
            let id = try context.parameters.require("id")
            // Revoked links stay in the list (with their counts) until removed (`?remove=true`).
            let revoked =
                try request.booleanParameter("remove", default: false)
                ? try await store.removeShare(id: id, userId: user.id) : try await store.revokeShare(id: id, userId: user.id)
            guard revoked else {
                throw APIError(.notFound, code: "not_found", "no such share")
            }
            // A file request's uploads on their way end with it.
            try await abandonUploads(ofRequest: id, owner: user)
            return Response(status: .noContent)
        }

        api.get("shares/{id}/events") { request, context in
            let user = try context.requireCaller().user
            let limit = Int(try request.integerParameter("limit", in: 1...Int64(MetadataStore.shareEventsKept), default: 100))
            guard let events = try await store.shareEvents(id: try context.parameters.require("id"), userId: user.id, limit: limit) else {
                throw APIError(.notFound, code: "not_found", "no such share")
            }
            return try json(events)
        }
        registerVisits(on: router)
        registerRequests(on: router)
    }

    /// A file request's title is one line of 1 to 200 characters; its size cap 1 B to 5 TiB.
    static func validate(_ request: FileRequestSettings) throws {
        guard (1...200).contains(request.title.count), request.title.trimmingCharacters(in: .whitespaces) == request.title,
            !request.title.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw APIError(.badRequest, code: "invalid_title", "a file request's title is 1 to 200 characters on one line, without spaces around it")
        }
        if let cap = request.maxFileBytes, !(1...PartLayout.maxObjectSize).contains(cap) {
            throw APIError(.badRequest, code: "invalid_size", "maxFileBytes must be 1...\(PartLayout.maxObjectSize) bytes")
        }
    }

    func info(_ share: ShareRecord) -> ShareInfo {
        ShareInfo(
            id: share.id,
            url: "\(publicBaseURL)/\(share.request == nil ? "s" : "r")/\(share.token)",
            path: share.path,
            createdAt: share.createdAt.timeIntervalSince1970,
            expiresAt: share.expiresAt?.timeIntervalSince1970,
            revoked: share.revokedAt != nil,
            views: share.views,
            downloads: share.downloads,
            hasPassword: share.passwordHash != nil,
            request: share.request,
            uploads: share.uploads
        )
    }
}
