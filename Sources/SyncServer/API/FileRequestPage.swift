import HTTPTypes
import Hummingbird
import SyncAPI

/// The page of a file request (`/r/<token>`): its title, the size cap, a file picker and each
/// file's progress. Its script (`/static/request.js`) hashes and uploads the files through the
/// request's own calls; it shows nothing of the folder the files go to.
enum FileRequestPage {
    /// Script from this server; calls to this server and, for the bytes, the bucket.
    static func contentSecurityPolicy(bucketOrigin: String) -> String {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self' \(bucketOrigin); "
            + "form-action 'none'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    }

    static func response(token: String, request: FileRequestSettings, bucketOrigin: String) -> Response {
        let cap = request.maxFileBytes.map { "Files of up to \(ByteCount.human($0)) each." } ?? ""
        let page = """
            \(SharePage.head(title: request.title))
            <body class="share-page"><main class="shared-file file-request" id="file-request" data-token="\(HTMLPage.escape(token))"
             data-max-bytes="\(request.maxFileBytes.map(String.init) ?? "")">
            <h1 id="request-title">\(HTMLPage.escape(request.title))</h1>
            <p class="muted">Someone asked you for files. What you send goes to them; you see nothing else of their folder. \(cap)</p>
            <label for="request-files" class="button primary">Choose files to send</label>
            <input type="file" id="request-files" multiple class="hidden">
            <ul id="request-uploads" class="uploads-list"></ul>
            <p class="muted small">Shared with syncd. The request may expire or be closed by its owner.</p>
            </main><script type="module" src="/static/request.js"></script></body></html>
            """
        return HTMLPage.document(page, policy: contentSecurityPolicy(bucketOrigin: bucketOrigin))
    }
}
