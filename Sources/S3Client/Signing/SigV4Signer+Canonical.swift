/// Stage 1: the canonical request — AWS SigV4 "Create a canonical request".
extension SigV4Signer {
    /// The headers that are signed: lower-case names, values trimmed with inner runs of
    /// whitespace collapsed, repeated names joined by `,`, sorted by name. `host` is always in.
    struct CanonicalHeaders {
        var entries: [(name: String, value: String)]

        var names: String { entries.map(\.name).joined(separator: ";") }
        var block: String { entries.map { "\($0.name):\($0.value)\n" }.joined() }
    }

    func headersToSign(_ request: SigV4Request) -> CanonicalHeaders {
        var grouped: [String: [String]] = [:]
        var order: [String] = []
        for (name, value) in request.headers {
            let lower = name.lowercased()
            guard !Self.unsignedHeaders.contains(lower) else { continue }
            if grouped[lower] == nil { order.append(lower) }
            grouped[lower, default: []].append(Self.canonicalValue(value))
        }
        if grouped["host"] == nil {
            grouped["host"] = [request.hostHeader]
            order.append("host")
        }
        let entries = order.sorted().map { ($0, grouped[$0]!.joined(separator: ",")) }
        return CanonicalHeaders(entries: entries)
    }

    func canonicalRequest(
        _ request: SigV4Request,
        query: [(name: String, value: String)],
        headers: CanonicalHeaders,
        payload: Payload
    ) -> String {
        var withQuery = request
        withQuery.query = query
        return [
            request.method,
            request.encodedPath,
            withQuery.encodedQuery,
            headers.block,
            headers.names,
            payload.value,
        ].joined(separator: "\n")
    }

    /// Trims a header value and collapses each run of spaces and tabs inside it to one space.
    static func canonicalValue(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
            .joined(separator: " ")
    }
}
