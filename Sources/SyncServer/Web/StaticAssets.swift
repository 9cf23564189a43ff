import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The dashboard's scripts, stylesheet and icons, compiled into the binary (Package.swift's
/// `embedInCode` resources) and served under `/static/`.
enum StaticAssets {
    struct Asset: Sendable {
        let bytes: ByteBuffer
        let contentType: String
        let etag: String

        init(_ bytes: [UInt8], _ contentType: String) {
            self.bytes = ByteBuffer(bytes: bytes)
            self.contentType = contentType
            etag = "\"" + SHA256.hash(data: bytes).prefix(12).map { String(format: "%02x", $0) }.joined() + "\""
        }
    }

    /// By path under `/static/`.
    static let assets: [String: Asset] = {
        let script = "text/javascript; charset=utf-8"
        let svg = "image/svg+xml"
        return [
            "app.js": Asset(PackageResources.app_js, script), "api.js": Asset(PackageResources.api_js, script),
            "dom.js": Asset(PackageResources.dom_js, script), "hash.js": Asset(PackageResources.hash_js, script),
            "upload.js": Asset(PackageResources.upload_js, script), "sharing.js": Asset(PackageResources.sharing_js, script),
            "request.js": Asset(PackageResources.request_js, script),
            "app.css": Asset(PackageResources.app_css, "text/css; charset=utf-8"),
            "icons/folder.svg": Asset(PackageResources.folder_svg, svg), "icons/image.svg": Asset(PackageResources.image_svg, svg),
            "icons/pdf.svg": Asset(PackageResources.pdf_svg, svg), "icons/video.svg": Asset(PackageResources.video_svg, svg),
            "icons/audio.svg": Asset(PackageResources.audio_svg, svg), "icons/archive.svg": Asset(PackageResources.archive_svg, svg),
            "icons/document.svg": Asset(PackageResources.document_svg, svg), "icons/text.svg": Asset(PackageResources.text_svg, svg),
            "icons/other.svg": Asset(PackageResources.other_svg, svg),
        ]
    }()

    static func register(on router: Router<AppRequestContext>) {
        router.get("static/**") { request, context in
            let path = context.parameters.getCatchAll().joined(separator: "/")
            guard let asset = assets[path] else { throw HTTPError(.notFound) }
            // Revalidated on every load (cheap: an ETag), so that a new server version's
            // scripts are never mixed with an old one's.
            var headers: HTTPFields = [
                .contentType: asset.contentType, .eTag: asset.etag, .cacheControl: "no-cache", .xContentTypeOptions: "nosniff",
            ]
            // An icon opened on its own runs nothing either.
            if asset.contentType.hasPrefix("image/svg") { headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'" }
            if request.headers[.ifNoneMatch] == asset.etag { return Response(status: .notModified, headers: headers) }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.bytes))
        }
    }
}
