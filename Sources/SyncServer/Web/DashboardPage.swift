import Hummingbird
import SyncAPI

/// `/`: the sign-in page, or (signed in) the dashboard. The dashboard's page is a shell: the
/// scripts under `/static/` fill it from the JSON API. Its Content-Security-Policy allows
/// scripts and styles from this server only (no inline script, no CDN) and reaches the bucket
/// only where presigned transfers and previews need it.
struct DashboardPage {
    let store: MetadataStore
    let sessions: SessionKeys
    let signInAvailable: Bool
    /// Where browsers reach the bucket's presigned URLs.
    let bucketOrigin: String

    var contentSecurityPolicy: String {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https: \(bucketOrigin); "
            + "media-src \(bucketOrigin); frame-src \(bucketOrigin); connect-src 'self' \(bucketOrigin); "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    }

    func register(on router: Router<AppRequestContext>) {
        router.get("/") { request, _ in
            guard let sessionId = request.cookies[SessionKeys.cookieName]?.value,
                try await store.sessionUser(id: sessionId, key: sessions.key) != nil
            else { return signInPage() }
            return page(csrf: sessions.csrfToken(for: sessionId))
        }
    }

    private func signInPage() -> Response {
        let action =
            signInAvailable
            ? "<p><a class=\"button primary\" id=\"sign-in\" href=\"/auth/login\">Sign in with Google</a></p>"
            : "<p class=\"muted\">Browser sign-in is not set up on this server; devices use tokens from <code>syncd-server admin issue-token</code>.</p>"
        return html(
            """
            <main class="signin"><h1>syncd</h1><p>Your files, synced, in your own S3 bucket.</p>\(action)</main>
            """,
            title: "Sign in"
        )
    }

    private func page(csrf: String) -> Response {
        html(
            """
            <header class="top"><a class="logo" href="#/files/">syncd</a>
            <input type="search" id="search" placeholder="Search by name" aria-label="Search by name" autocomplete="off">
            <div id="user"></div><span id="usage" class="muted"></span>
            <form method="post" action="/auth/logout"><input type="hidden" name="csrf" value="\(HTMLPage.escape(csrf))">
            <button id="sign-out" type="submit">Sign out</button></form></header>
            <nav id="tabs"><a href="#/files/">Files</a><a href="#/shares">Shared links</a><a href="#/trash">Trash</a><a href="#/devices">Devices</a></nav>
            <div id="message" class="message" role="status"></div>
            <main id="view"><p class="muted">Loading…</p></main>
            <aside id="uploads" class="hidden"><h3>Uploads</h3><ul></ul></aside>
            """,
            title: "Files",
            script: true
        )
    }

    private func html(_ body: String, title: String, script: Bool = false) -> Response {
        let page = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) — syncd</title><link rel="stylesheet" href="/static/app.css"><link rel="icon" href="/static/icons/folder.svg">\(script ? "<script type=\"module\" src=\"/static/app.js\"></script>" : "")
            </head><body>\(body)</body></html>
            """
        return HTMLPage.document(page, policy: contentSecurityPolicy)
    }
}
