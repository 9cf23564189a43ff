import HTTPTypes
import Hummingbird
import SyncAPI

/// The public page of a share link: the file's type icon, name, size, a download button and a
/// preview where one applies. Names are data: always HTML-escaped, and the page runs no script
/// at all (a text preview is rendered here, escaped; media come from the bucket's origin).
enum SharePage {
    /// What the page shows above the download button.
    enum Preview {
        case none
        /// An image, PDF, video or audio file, fetched by the browser from `source` (which
        /// redirects to a short-lived presigned GET).
        case media(FileCategory, source: String)
        /// The start of a text file, and whether there is more.
        case text(String, truncated: Bool)
    }

    /// Images, media and PDF frames may come from this server and the bucket; nothing else.
    static func contentSecurityPolicy(bucketOrigin: String) -> String {
        "default-src 'none'; style-src 'self'; img-src 'self' \(bucketOrigin); media-src 'self' \(bucketOrigin); "
            + "frame-src 'self' \(bucketOrigin); form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    }

    /// The start of every public page of a link, to its `<head>`'s end (`title` is text).
    static func head(title: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex"><title>\(HTMLPage.escape(title)) — syncd</title>
        <link rel="stylesheet" href="/static/app.css"><link rel="icon" href="/static/icons/folder.svg"></head>
        """
    }

    /// The form of a password-protected link: the same for every such link, so that it tells
    /// nothing about the file (no name, size, type or preview) before the password is right.
    /// - Parameter base: `s` for a link, `r` for a file request.
    static func passwordForm(token: String, base: String = "s", message: String?, status: HTTPResponse.Status) -> Response {
        let note = message.map { "<p class=\"error\" id=\"password-error\" role=\"alert\">\(HTMLPage.escape($0))</p>" } ?? ""
        let page = """
            \(head(title: "Protected link"))
            <body class="share-page"><main class="shared-file">
            <h1>This link is protected</h1>
            <p class="muted">Enter the password its owner gave you.</p>
            \(note)
            <form method="post" action="/\(base)/\(HTMLPage.escape(token))" id="password-form" class="password-form">
            <label for="link-password">Password</label>
            <input type="password" id="link-password" name="password" autocomplete="current-password" required autofocus maxlength="256">
            <button type="submit" class="button primary" id="password-submit">Open</button>
            </form>
            <p class="muted small">Shared with syncd. The link may expire or be revoked by its owner.</p>
            </main></body></html>
            """
        return HTMLPage.document(page, policy: passwordPolicy, status: status)
    }

    /// The password form posts to this server and loads nothing but its style.
    static let passwordPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static func html(name: String, size: Int64, category: FileCategory, downloadPath: String, preview: Preview) -> String {
        let previewHTML: String
        switch preview {
        case .none:
            previewHTML = ""
        case .media(.image, let source):
            previewHTML = "<img class=\"preview\" alt=\"\(HTMLPage.escape(name))\" src=\"\(HTMLPage.escape(source))\">"
        case .media(.video, let source):
            previewHTML = "<video class=\"preview\" controls preload=\"metadata\" src=\"\(HTMLPage.escape(source))\"></video>"
        case .media(.audio, let source):
            previewHTML = "<audio class=\"preview\" controls preload=\"metadata\" src=\"\(HTMLPage.escape(source))\"></audio>"
        case .media(.pdf, let source):
            previewHTML = "<iframe class=\"preview pdf\" title=\"\(HTMLPage.escape(name))\" src=\"\(HTMLPage.escape(source))\"></iframe>"
        case .media:
            previewHTML = ""
        case .text(let text, let truncated):
            previewHTML =
                "<pre class=\"preview text\">\(HTMLPage.escape(text))</pre>" + (truncated ? "<p class=\"muted\">Only the start is shown.</p>" : "")
        }
        return """
            \(head(title: name))
            <body class="share-page"><main class="shared-file">
            <div class="shared-head"><img class="icon" alt="\(category.rawValue)" src="/static/icons/\(category.rawValue).svg">
            <div><div class="name" id="shared-name">\(HTMLPage.escape(name))</div><div class="muted" id="shared-size">\(ByteCount.human(size))</div></div></div>
            \(previewHTML)
            <p><a class="button primary" id="shared-download" href="\(HTMLPage.escape(downloadPath))" download>Download</a></p>
            <p class="muted small">Shared with syncd. The link may expire or be revoked by its owner.</p>
            </main></body></html>
            """
    }
}
