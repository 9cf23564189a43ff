/// Percent-encoding as AWS SigV4 defines it ("URI-encode each byte" in "Create a canonical
/// request"): the unreserved characters `A-Z a-z 0-9 - _ . ~` stay, every other UTF-8 byte
/// becomes `%XY` with upper-case hex. Unlike RFC 3986 form encoding, a space is `%20`, never `+`.
public enum AWSURIEncoding {
    /// Encodes a query-string name or value: `/` is encoded too.
    public static func encodeQueryComponent(_ string: String) -> String {
        encode(string, keepSlash: false)
    }

    /// Encodes an object key (or any path) for the request line: `/` separates segments and
    /// stays. S3 signs the path exactly as sent, encoded once.
    public static func encodePath(_ string: String) -> String {
        encode(string, keepSlash: true)
    }

    static func encode(_ string: String, keepSlash: Bool) -> String {
        var out = [UInt8]()
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
