import HTTPTypes
import Hummingbird

/// Server-rendered pages of the sign-in and device flows: no script at all, every piece of
/// text HTML-escaped by `HTMLPage.escape` before it is put in.
enum HTMLPage {
    static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// A page; `body` must already be escaped HTML.
    static func response(title: String, body: String, status: HTTPResponse.Status = .ok) -> Response {
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) — syncd</title><link rel="icon" href="/static/icons/folder.svg">
            <style>body{font:16px system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}
            .box{border:1px solid #ddd;border-radius:8px;padding:1.5rem}.code{font:1.6rem ui-monospace,monospace;letter-spacing:.1em}
            button,a.button{background:#2563eb;color:#fff;border:0;padding:.6rem 1.2rem;border-radius:6px;font-size:1rem;text-decoration:none;cursor:pointer}
            button.secondary{background:#e5e7eb;color:#111}table{border-collapse:collapse;width:100%;margin:1rem 0}
            td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eee;word-break:break-all}.muted{color:#666}input{font-size:1.2rem;padding:.4rem}</style>
            </head><body><h1>\(escape(title))</h1><div class="box">\(body)</div></body></html>
            """
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .contentSecurityPolicy: contentSecurityPolicy, .cacheControl: "no-store",
                      .xContentTypeOptions: "nosniff", .referrerPolicy: "no-referrer"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// Escapes text for HTML element content and quoted attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        for char in text.unicodeScalars {
            switch char {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(char)
            }
        }
        return out
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
