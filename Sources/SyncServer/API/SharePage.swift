import SyncAPI

/// The public page of a share link: the file's name, size and a download button. Names are
/// data: always HTML-escaped, and the page runs no script at all.
enum SharePage {
    static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

    static func html(name: String, size: Int64, downloadPath: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex"><title>\(HTMLPage.escape(name)) — syncd</title>
        <style>body{font:16px system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}
        .file{border:1px solid #ddd;border-radius:8px;padding:1.5rem}.name{font-size:1.25rem;word-break:break-all}
        .size{color:#666;margin:.5rem 0 1.25rem}a.button{background:#2563eb;color:#fff;padding:.6rem 1.2rem;border-radius:6px;text-decoration:none}</style>
        </head><body><div class="file"><div class="name">\(HTMLPage.escape(name))</div><div class="size">\(ByteCount.human(size))</div>
        <a class="button" href="\(HTMLPage.escape(downloadPath))" download>Download</a></div></body></html>
        """
    }
}
