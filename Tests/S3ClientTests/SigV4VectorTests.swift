import Foundation
import Testing

@testable import S3Client

/// AWS's published SigV4 examples, byte for byte.
@Suite struct SigV4VectorTests {
    /// The S3 API reference's examples ("Signature Calculations for the Authorization Header:
    /// Transferring Payload in a Single Chunk" and "Authenticating Requests: Using Query
    /// Parameters"): examplebucket, 2013-05-24, the documented example keys.
    let s3 = SigV4Signer(
        credentials: S3Credentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1"
    )
    let may24 = Date(timeIntervalSince1970: 1_369_353_600)  // 20130524T000000Z

    func request(_ method: String, _ path: String, query: [(String, String)] = [], headers: [(String, String)] = []) -> SigV4Request {
        SigV4Request(
            method: method,
            scheme: "https",
            host: "examplebucket.s3.amazonaws.com",
            encodedPath: path,
            query: query.map { (name: $0.0, value: $0.1) },
            headers: headers.map { (name: $0.0, value: $0.1) }
        )
    }

    func signature(_ request: SigV4Request) -> String? {
        request.header("Authorization")?.components(separatedBy: "Signature=").last
    }

    @Test func getObjectWithRange() {
        let signed = s3.signed(request("GET", "/test.txt", headers: [("Range", "bytes=0-9")]), payload: .empty, date: may24)
        #expect(signed.header("x-amz-date") == "20130524T000000Z")
        #expect(
            signed.header("Authorization")
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
    }

    @Test func putObjectWithSignedPayload() {
        let body = Array("Welcome to Amazon S3.".utf8)
        let unsigned = request(
            "PUT",
            "/" + AWSURIEncoding.encodePath("test$file.text"),
            headers: [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")]
        )
        let signed = s3.signed(unsigned, payload: .bytes(body), date: may24)
        #expect(signed.header("x-amz-content-sha256") == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        #expect(signature(signed) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test func getBucketLifecycle() {
        let signed = s3.signed(request("GET", "/", query: [("lifecycle", "")]), payload: .empty, date: may24)
        #expect(signature(signed) == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test func listObjectsWithQueryOrder() {
        let signed = s3.signed(request("GET", "/", query: [("prefix", "J"), ("max-keys", "2")]), payload: .empty, date: may24)
        #expect(signature(signed) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test func presignedGet() throws {
        let url = s3.presignedURL(request("GET", "/test.txt"), expires: 86400, date: may24)
        #expect(
            url == "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        )
    }

    /// The generic SigV4 test suite (`aws-sig-v4-test-suite`): service "service", 2015-08-30,
    /// no x-amz-content-sha256 header. Only cases whose paths need no normalisation apply to S3.
    let suite = SigV4Signer(
        credentials: S3Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1",
        service: "service",
        addsContentSHA256Header: false
    )
    let aug30 = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z

    @Test(arguments: [
        ("get-vanilla", "GET", [(String, String)](), "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        ("post-vanilla", "POST", [], "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        (
            "get-vanilla-query-order-key-case", "GET", [("Param2", "value2"), ("Param1", "value1")],
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        ),
    ])
    func awsTestSuite(name: String, method: String, query: [(String, String)], expected: String) {
        let unsigned = SigV4Request(
            method: method,
            scheme: "https",
            host: "example.amazonaws.com",
            encodedPath: "/",
            query: query.map { (name: $0.0, value: $0.1) }
        )
        let signed = suite.signed(unsigned, payload: .empty, date: aug30)
        #expect(signature(signed) == expected, "\(name)")
    }

    @Test func amzDateAcrossEpochs() {
        #expect(AmzDate(Date(timeIntervalSince1970: 0)).timestamp == "19700101T000000Z")
        #expect(AmzDate(Date(timeIntervalSince1970: 951_782_400)).timestamp == "20000229T000000Z")
        #expect(AmzDate(Date(timeIntervalSince1970: 4_102_444_799)).timestamp == "20991231T235959Z")
        #expect(AmzDate(Date(timeIntervalSince1970: 1_440_938_160.999)).day == "20150830")
    }
}
