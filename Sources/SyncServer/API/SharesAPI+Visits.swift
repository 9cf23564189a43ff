import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import Prometheus
import SyncAPI

/// The public side of share links: `/s/<token>` (the page), its download and preview, and the
/// password form of a protected link. Revocation and expiry are checked on every request; a
/// download is a redirect to a presigned GET that lives minutes.
///
/// A protected link shows nothing of its file (name, size, type, preview, download) until the
/// password is given: the form is the same for every protected link, and a wrong password is
/// answered with the same form. The right one sets a cookie for this link's path only, signed
/// with the server's session key and bound to the link and its password hash, that opens it for
/// an hour. Attempts are limited per link and per client address before any hashing is done.
extension SharesAPI {
    static let unlockCookie = "syncd_link"
    static let unlockSeconds = 3600

    func registerVisits(on router: Router<AppRequestContext>) {
        // Visitors are anonymous: a rate per address keeps token guessing and scraping slow.
        let visits = router.group("s").add(middleware: RateLimitMiddleware(capacity: visitBurst, perMinute: visitsPerMinute))
        visits.get("{token}") { request, context in
            // A person opened this link in a browser: a refusal is a page too, not JSON.
            let token = try context.parameters.require("token")
            do {
                let (share, item, owner) = try await open(token, request: request)
                let after = request.uri.queryParameters.get("after")
                let page =
                    item.kind == .folder
                    ? try await folderPage(share: share, folder: item, owner: owner, request: request, after: after)
                    : try await sharePage(share: share, file: item, owner: owner, itemQuery: "")
                // A page shown is a view (a folder's further pages are the same view).
                if after == nil {
                    try await store.recordShareVisit(.view, shareId: share.id)
                    metrics.shareViews.increment()
                }
                return page
            } catch is Locked {
                return SharePage.passwordForm(token: token, message: nil, status: .ok)
            } catch let error as APIError {
                return Self.refusalPage(error)
            }
        }
        visits.post("{token}") { request, context in
            try await unlock(try context.parameters.require("token"), base: "s", request: request, context: context)
        }
        // A file inside a folder's link: its own page.
        visits.get("{token}/file") { request, context in
            let token = try context.parameters.require("token")
            do {
                let (share, folder, owner) = try await open(token, request: request)
                let file = try await target(in: folder, owner: owner, request: request)
                return try await sharePage(share: share, file: file, owner: owner, itemQuery: "?path=" + SharePage.query(relative(file, in: folder)))
            } catch is Locked {
                return Response(status: .seeOther, headers: [.location: "/s/\(token)", .cacheControl: "no-store"])
            } catch let error as APIError {
                return Self.refusalPage(error)
            }
        }
        visits.get("{token}/zip") { request, context in
            let token = try context.parameters.require("token")
            do {
                let (share, folder, owner) = try await open(token, request: request)
                guard folder.kind == .folder else { throw APIError(.notFound, code: "not_a_folder", "this link is to a file") }
                try await store.recordShareVisit(.download, shareId: share.id)
                return zipResponse(of: folder, owner: owner, token: token)
            } catch is Locked {
                return Response(status: .seeOther, headers: [.location: "/s/\(token)", .cacheControl: "no-store"])
            }
        }
        visits.get("{token}/download") { request, context in
            let token = try context.parameters.require("token")
            do {
                let (share, root, owner) = try await open(token, request: request)
                let file = try await target(in: root, owner: owner, request: request)
                try await store.recordShareVisit(.download, shareId: share.id)
                let url = try await blobs.presignGet(key: blobs.key(userId: owner, sha256: file.contentHash ?? ""), filename: file.name)
                return Response(status: .found, headers: [.location: url, .cacheControl: "no-store"])
            } catch is Locked {
                return Response(status: .seeOther, headers: [.location: "/s/\(token)", .cacheControl: "no-store"])
            }
        }
        // The media of the page's preview: inline, as a type that cannot run script.
        visits.get("{token}/preview") { request, context in
            let token = try context.parameters.require("token")
            let file: FileRecord
            let owner: String
            do {
                let root: FileRecord
                (_, root, owner) = try await open(token, request: request)
                file = try await target(in: root, owner: owner, request: request)
            } catch is Locked {
                return Response(status: .seeOther, headers: [.location: "/s/\(token)", .cacheControl: "no-store"])
            }
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

    /// The link is protected and this request has not given its password.
    struct Locked: Error {}

    static func refusalPage(_ error: APIError) -> Response {
        let text = error.status == .gone ? "This link has expired." : "This link does not exist, or its owner revoked it."
        return HTMLPage.response(title: "Link not available", body: "<p>\(text)</p>", status: error.status)
    }

    /// A valid link and its file. 404 for unknown, revoked or trashed; 410 for expired; `Locked`
    /// for a protected link without its cookie.
    /// - Parameter fileRequest: whether the token must be a file request's (`/r/`) rather than
    ///   a link's (`/s/`): neither opens as the other (a request's uploader sees nothing of
    ///   its folder).
    func open(
        _ token: String,
        request: Request,
        checkingPassword: Bool = true,
        fileRequest: Bool = false
    ) async throws -> (ShareRecord, FileRecord, owner: String) {
        switch try await store.openShare(token: token) {
        case .valid(let share, _, _) where (share.request != nil) != fileRequest:
            throw APIError(.notFound, code: "not_found", "no such link")
        case .valid(let share, let file, let userId):
            if checkingPassword, let hash = share.passwordHash, !isUnlocked(share, hash: hash, request: request) { throw Locked() }
            return (share, file, userId)
        case .expired:
            throw APIError(.gone, code: "share_expired", "this link has expired")
        case .gone:
            throw APIError(.notFound, code: "not_found", "no such link")
        }
    }

    /// `POST /s/<token>` (or `/r/<token>` for a file request, `base` "r") with `password=…` (a form).
    func unlock(_ token: String, base: String, request: Request, context: AppRequestContext) async throws -> Response {
        let share: ShareRecord
        do {
            (share, _, _) = try await open(token, request: request, checkingPassword: false, fileRequest: base == "r")
        } catch let error as APIError {
            return Self.refusalPage(error)
        }
        guard let hash = share.passwordHash else { return Response(status: .seeOther, headers: [.location: "/\(base)/\(token)"]) }
        // Limits first, so that guessing costs no hashing: per address, then per link (an address
        // over its own limit does not use up the link's tries).
        let seconds = Date().timeIntervalSince1970
        let address = context.clientAddress ?? "unknown"
        guard attemptsPerAddress.withLockedValue({ $0.take(address, at: seconds) }),
            attemptsPerLink.withLockedValue({ $0.take(share.id, at: seconds) })
        else {
            var response = SharePage.passwordForm(
                token: token,
                base: base,
                message: "Too many attempts. Wait a few minutes, then try again.",
                status: .tooManyRequests
            )
            response.headers[.retryAfter] = "120"
            return response
        }
        let body = try await request.body.collect(upTo: 4096)
        let password = Self.formValue("password", in: String(buffer: body)) ?? ""
        let right: Bool
        do {
            right = try await LinkPassword.verify(password, against: hash)
        } catch is LinkPassword.Busy {
            var response = SharePage.passwordForm(
                token: token,
                base: base,
                message: "The server is busy. Try again in a moment.",
                status: .serviceUnavailable
            )
            response.headers[.retryAfter] = "5"
            return response
        }
        guard right else {
            try await store.recordShareVisit(.wrongPassword, shareId: share.id)
            return SharePage.passwordForm(token: token, base: base, message: "Wrong password.", status: .unauthorized)
        }
        let expires = Int(Date().timeIntervalSince1970) + Self.unlockSeconds
        var response = Response(status: .seeOther, headers: [.location: "/\(base)/\(token)", .cacheControl: "no-store"])
        response.setCookie(
            sessions.cookie(
                Self.unlockCookie,
                "\(expires).\(unlockTag(share, hash: hash, expires: expires))",
                maxAge: Self.unlockSeconds,
                path: "/\(base)/\(token)"
            )
        )
        return response
    }

    /// Whether the request carries this link's unlock cookie, unexpired.
    private func isUnlocked(_ share: ShareRecord, hash: String, request: Request) -> Bool {
        guard let value = request.cookies[Self.unlockCookie]?.value else { return false }
        let parts = value.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let expires = Int(parts[0]), expires > Int(Date().timeIntervalSince1970),
            expires <= Int(Date().timeIntervalSince1970) + Self.unlockSeconds
        else { return false }
        return constantTimeEqual(String(parts[1]), unlockTag(share, hash: hash, expires: expires))
    }

    /// Binds the cookie to the link, its expiry and its password hash (a link given a new
    /// password would need it again).
    private func unlockTag(_ share: ShareRecord, hash: String, expires: Int) -> String {
        OIDCProvider.base64URL(
            Data(HMAC<SHA256>.authenticationCode(for: Array("share-unlock:\(share.id):\(expires):\(hash)".utf8), using: sessions.key))
        )
    }

    /// One field of an `application/x-www-form-urlencoded` body.
    static func formValue(_ name: String, in body: String) -> String? {
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == name else { continue }
            return String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
        }
        return nil
    }

    /// The public page of a file: the link's own, or one inside a folder's link (`itemQuery`
    /// names it to the download and the preview).
    private func sharePage(share: ShareRecord, file: FileRecord, owner: String, itemQuery: String) async throws -> Response {
        let page = SharePage.html(
            name: file.name,
            size: file.size,
            category: FileCategory(name: file.name),
            downloadPath: "/s/\(share.token)/download" + itemQuery,
            preview: try await preview(of: file, owner: owner, source: "/s/\(share.token)/preview" + itemQuery)
        )
        return HTMLPage.document(page, policy: SharePage.contentSecurityPolicy(bucketOrigin: blobs.origin))
    }

    static let textPreviewBytes: Int64 = 64 << 10

    /// Media are fetched by the visitor's browser; text is read here and put in the page, escaped.
    private func preview(of file: FileRecord, owner: String, source: String) async throws -> SharePage.Preview {
        guard let type = FileCategory.previewType(name: file.name) else { return .none }
        guard type.category == .text else { return .media(type.category, source: source) }
        guard file.size > 0 else { return .text("", truncated: false) }
        let end = min(file.size, Self.textPreviewBytes) - 1
        let bytes = try await blobs.read(blobs.key(userId: owner, sha256: file.contentHash ?? ""), range: 0...end)
        return .text(String(decoding: bytes, as: UTF8.self), truncated: file.size > Self.textPreviewBytes)
    }
}
