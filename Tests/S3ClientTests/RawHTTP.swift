import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Plain HTTP requests with no signing, as a browser or the daemon sends presigned URLs.
enum RawHTTP {
    struct Response {
        var status: UInt
        var headers: HTTPHeaders
        var body: Data
    }

    static func send(_ method: String, _ url: String, headers: [String: String] = [:], body: Data? = nil) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(data: body)) }
        let response = try await TestHTTP.client.execute(request, timeout: .seconds(60))
        let collected = try await response.body.collect(upTo: 64 << 20)
        return Response(status: response.status.code, headers: response.headers, body: Data(buffer: collected))
    }
}
