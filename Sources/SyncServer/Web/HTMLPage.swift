import HTTPTypes
import Hummingbird

/// Server-rendered pages of the sign-in and device flows: no script at all, no inline style,
/// every piece of text HTML-escaped by `HTMLPage.escape` before it is put in.
enum HTMLPage {
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self' https:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// A page; `body` must already be escaped HTML. Styled by the dashboard's stylesheet.
    static func response(title: String, body: String, status: HTTPResponse.Status = .ok) -> Response {
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) — syncd</title><link rel="icon" href="/static/icons/folder.svg"><link rel="stylesheet" href="/static/app.css">
            </head><body class="page"><main><h1>\(escape(title))</h1><div class="box">\(body)</div></main></body></html>
            """
        return document(html, policy: contentSecurityPolicy, status: status)
    }

    /// A whole HTML document under `policy`, never cached, never sniffed, sending no referrer
    /// (the share page's URL holds its token).
    static func document(_ html: String, policy: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .contentSecurityPolicy: policy, .cacheControl: "no-store",
                .xContentTypeOptions: "nosniff", .referrerPolicy: "no-referrer",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
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
