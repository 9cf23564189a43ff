/// What kind of thing a file is, by its name's extension: the dashboard's icon, and whether
/// (and as what) the server lets a browser preview it.
public enum FileCategory: String, Codable, Sendable, CaseIterable {
    case folder, image, pdf, video, audio, archive, document, text, other

    public init(name: String, isFolder: Bool = false) {
        if isFolder {
            self = .folder
            return
        }
        self = Self.byExtension[Self.fileExtension(of: name)] ?? .other
    }

    /// The lower-cased text after the last dot of the last path component ("" when none, or
    /// when the name only starts with a dot).
    public static func fileExtension(of name: String) -> String {
        let last = name.split(separator: "/").last.map(String.init) ?? name
        guard let dot = last.lastIndex(of: "."), dot != last.startIndex else { return "" }
        return String(last[last.index(after: dot)...]).lowercased()
    }

    /// How a browser may show the file inline, or nil: download only. Text of any kind is
    /// shown as plain text, never as a page or a script; SVG and HTML can run script, so they
    /// are never previewed (an SVG is still an image to its icon).
    public static func previewType(name: String) -> (category: FileCategory, contentType: String)? {
        let ext = fileExtension(of: name)
        if byExtension[ext] == .text { return (.text, "text/plain; charset=utf-8") }
        guard let type = mediaTypes[ext] else { return nil }
        return (byExtension[ext] ?? .other, type)
    }

    /// Images, PDF, video and audio that browsers show themselves.
    static let mediaTypes: [String: String] = [
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp", "avif": "image/avif",
        "bmp": "image/bmp", "ico": "image/x-icon",
        "pdf": "application/pdf",
        "mp4": "video/mp4", "m4v": "video/mp4", "webm": "video/webm", "ogv": "video/ogg", "mov": "video/quicktime",
        "mp3": "audio/mpeg", "m4a": "audio/mp4", "aac": "audio/aac", "ogg": "audio/ogg", "oga": "audio/ogg", "opus": "audio/ogg",
        "wav": "audio/wav", "flac": "audio/flac",
    ]

    static let byExtension: [String: FileCategory] = {
        var table: [String: FileCategory] = [:]
        for ext in ["png", "jpg", "jpeg", "gif", "webp", "avif", "bmp", "ico", "svg", "tif", "tiff", "heic", "raw"] { table[ext] = .image }
        table["pdf"] = .pdf
        for ext in ["mp4", "m4v", "webm", "ogv", "mov", "mkv", "avi", "wmv"] { table[ext] = .video }
        for ext in ["mp3", "m4a", "aac", "ogg", "oga", "opus", "wav", "flac", "wma"] { table[ext] = .audio }
        for ext in ["zip", "tar", "gz", "tgz", "bz2", "xz", "zst", "7z", "rar", "deb", "rpm", "iso"] { table[ext] = .archive }
        for ext in ["doc", "docx", "odt", "rtf", "xls", "xlsx", "ods", "ppt", "pptx", "odp", "epub", "html", "htm", "pages", "key", "numbers"] {
            table[ext] = .document
        }
        for ext in [
            "txt", "md", "csv", "log", "json", "yaml", "yml", "toml", "ini", "conf", "xml", "swift", "py", "sh", "c", "h", "go", "rs", "js", "css",
        ] {
            table[ext] = .text
        }
        return table
    }()
}
