import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element: S3's responses are small documents read into a tree, then mapped.
struct XMLTree: Sendable {
    var name: String
    var text: String
    var children: [XMLTree]

    /// The first child with this local name.
    func child(_ name: String) -> XMLTree? {
        children.first { $0.name == name }
    }

    /// Every child with this local name, in document order.
    func all(_ name: String) -> [XMLTree] {
        children.filter { $0.name == name }
    }

    /// The text of the first child with this name.
    func text(_ name: String) -> String? {
        child(name)?.text
    }

    /// Parses a document; nil when it is not well-formed XML.
    static func parse(_ data: Data) -> XMLTree? {
        let builder = Builder()
        let parser = XMLParser(data: data)
        parser.delegate = builder
        parser.shouldProcessNamespaces = true
        guard parser.parse(), let root = builder.root else { return nil }
        return root
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLTree] = []
        var root: XMLTree?

        func parser(
            _ parser: XMLParser,
            didStartElement elementName: String,
            namespaceURI: String?,
            qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            stack.append(XMLTree(name: elementName, text: "", children: []))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += string
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            guard let element = stack.popLast() else { return }
            if stack.isEmpty {
                root = element
            } else {
                stack[stack.count - 1].children.append(element)
            }
        }
    }
}

/// Writes the few XML request bodies S3 takes (CompleteMultipartUpload, Delete).
enum XMLWriter {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for char in text.unicodeScalars {
            switch char {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            // XML 1.0 cannot carry most control characters, even escaped as entities; S3's
            // own SDKs send them as character references, which S3 accepts.
            case "\u{0}"..."\u{1F}" where char != "\t" && char != "\n" && char != "\r":
                out += "&#x\(String(char.value, radix: 16));"
            case "\r": out += "&#xD;"
            default: out.unicodeScalars.append(char)
            }
        }
        return out
    }
}
