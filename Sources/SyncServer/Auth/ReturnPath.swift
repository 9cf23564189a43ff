/// Where a browser goes back to after sign-in (`/auth/login?return_to=`): a path on this server
/// and nothing else, so that sign-in is never an open redirect.
///
/// The grammar, on the value as the query string decoded it:
/// - it starts with exactly one `/` (never `//` or `/\`, which browsers read as another host);
/// - every other character is an RFC 3986 `pchar`, `/` or `?` (unreserved, sub-delims, `:`, `@`),
///   or a `%HH` octet; no space, tab, CR, LF, backslash, `#` or non-ASCII character is taken raw;
/// - no `%HH` decodes to a control character or a backslash, and no decoding of it, however
///   many rounds a chain of proxies applies, starts with `//` or `/\` or holds a control
///   character or backslash (`/%2F/evil`, `/%5Cevil`, `/%25252F/evil`); a value that still
///   decodes to something new after `maxDecodings` rounds is refused outright;
/// - at most 2,048 characters.
///
/// Anything else becomes `/`. Browsers drop tab, CR and LF inside URLs, so `/\t/evil.example`
/// would be followed as `//evil.example`: that is why raw and encoded control characters fail.
enum ReturnPath {
    static let maxLength = 2_048
    /// No legitimate path is percent-encoded more often than this.
    static let maxDecodings = 4

    /// The path to send the browser back to: `value` when it follows the grammar, else `/`.
    static func parse(_ value: String?) -> String {
        guard let value, isAllowed(value) else { return "/" }
        return value
    }

    static func isAllowed(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.count <= maxLength, bytes[0] == UInt8(ascii: "/") else { return false }
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let octet = hexOctet(bytes[i + 1], bytes[i + 2]), !isForbiddenOctet(octet) else { return false }
                i += 3
                continue
            }
            guard isPathCharacter(byte) else { return false }
            i += 1
        }
        // The value and every decoding of it, the last included: still a single leading
        // slash, still no control character or backslash anywhere.
        var decoded = bytes
        for _ in 0...maxDecodings {
            guard isSafeOnce(decoded) else { return false }
            guard let next = percentDecoded(decoded), next != decoded else { return true }
            decoded = next
        }
        return false
    }

    /// One stage of decoding: no `//` or `/\` at the start, no control character or backslash.
    private static func isSafeOnce(_ bytes: [UInt8]) -> Bool {
        let slash = UInt8(ascii: "/")
        let backslash = UInt8(ascii: "\\")
        if bytes.count >= 2, bytes[0] == slash, bytes[1] == slash || bytes[1] == backslash { return false }
        return !bytes.contains(where: isForbiddenOctet)
    }

    /// RFC 3986 `pchar` (unreserved, sub-delims, ":", "@") plus "/" and "?".
    private static func isPathCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): true
        case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="):
            true
        case UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "/"), UInt8(ascii: "?"): true
        default: false
        }
    }

    /// Control characters (C0 and DEL) and the backslash, which browsers treat as "/".
    private static func isForbiddenOctet(_ octet: UInt8) -> Bool {
        octet < 0x20 || octet == 0x7F || octet == UInt8(ascii: "\\")
    }

    private static func hexOctet(_ high: UInt8, _ low: UInt8) -> UInt8? {
        guard let h = hexValue(high), let l = hexValue(low) else { return nil }
        return h << 4 | l
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// One round of percent-decoding; nil when a `%` is not followed by two hex digits (then
    /// nothing further decodes, as a browser or proxy would leave it).
    private static func percentDecoded(_ bytes: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let octet = hexOctet(bytes[i + 1], bytes[i + 2]) else { return nil }
                out.append(octet)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }
}
