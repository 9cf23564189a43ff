/// Which paths sync leaves alone: the built-in rules plus the folder's `.syncignore`, in
/// gitignore syntax.
///
/// Supported: `#` comments, blank lines, `!` to re-include, a trailing `/` for folders only, a
/// leading or inner `/` to anchor at the folder root, `*`, `?`, `[...]` within a name, and `**`
/// for any number of folders. The last matching rule wins; inside an ignored folder everything
/// is ignored (as in git, a `!` rule cannot reach into it).
public struct IgnoreRules: Sendable {
    struct Rule: Sendable {
        var components: [String]
        /// The components compiled (`**` alone is ``Glob/anyComponents``).
        var globs: [Glob]
        var negated: Bool
        var foldersOnly: Bool
        var anchored: Bool
    }

    /// The name of the ignore file at the folder root.
    public static let fileName = ".syncignore"

    /// Always ignored: the daemon's own state and temporary files, editor swap and lock files,
    /// and the temporary names of editors' safe writes (GIO's, JetBrains').
    public static let builtIn = """
        .syncd/
        .syncd-tmp-*
        *.swp
        *.swo
        *.swx
        *~
        .~lock.*#
        .#*
        4913
        .goutputstream-*
        *___jb_tmp___
        *___jb_old___
        """

    var rules: [Rule]
    /// The `.syncignore` file's content the rules were made from.
    let text: String
    /// Folders this device does not sync (selective sync), hidden after every other rule.
    private(set) var excluded: [RelativePath] = []

    /// What the rules are made of: equal keys, equal rules.
    var key: String { ([text] + excluded.map(\.string)).joined(separator: "\u{0}") }

    /// These rules, and each of `folders` (that path exactly, and everything inside it) hidden
    /// whatever `.syncignore` says: no later rule can un-ignore it. Names are matched literally
    /// (a folder named `*` hides only itself).
    public func excluding(_ folders: [RelativePath]) -> IgnoreRules {
        var out = self
        for folder in folders {
            let components = folder.string.split(separator: "/").map(String.init)
            let globs = components.map { Glob(Self.literal($0)) }
            out.rules.append(Rule(components: components, globs: globs, negated: false, foldersOnly: false, anchored: true))
            out.excluded.append(folder)
        }
        return out
    }

    /// `name` as a glob that matches only itself.
    static func literal(_ name: String) -> String {
        var out = ""
        for c in name {
            if "*?[\\".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// The built-in rules followed by `text` (the `.syncignore` file's content).
    public init(_ text: String = "") {
        self.text = text
        rules = (Self.builtIn + "\n" + text).split(whereSeparator: \.isNewline).compactMap(Self.parse)
    }

    static func parse(_ rawLine: Substring) -> Rule? {
        var line = String(rawLine)
        while line.hasSuffix(" ") && !line.hasSuffix("\\ ") { line.removeLast() }
        guard !line.isEmpty, !line.hasPrefix("#") else { return nil }
        var negated = false
        if line.hasPrefix("!") {
            negated = true
            line.removeFirst()
        } else if line.hasPrefix("\\!") || line.hasPrefix("\\#") {
            line.removeFirst()
        }
        var foldersOnly = false
        if line.hasSuffix("/") {
            foldersOnly = true
            line.removeLast()
        }
        let anchored = line.contains("/")
        if line.hasPrefix("/") { line.removeFirst() }
        let components = line.split(separator: "/").map(String.init)
        guard !components.isEmpty else { return nil }
        return Rule(components: components, globs: components.map(Glob.init), negated: negated, foldersOnly: foldersOnly, anchored: anchored)
    }

    /// Whether the item at `path` is ignored (its parent folders are not checked here: the
    /// scanner does not enter an ignored folder).
    ///
    /// Linear in pattern × path for every rule (see ``Glob``): a synced `.syncignore` cannot
    /// stall a scan, whatever `**` and `*` it holds.
    public func isIgnored(_ path: RelativePath, isFolder: Bool) -> Bool {
        let name = Array(path.name.utf8)
        var names: [[UInt8]]?  // split only when an anchored rule needs the components
        var ignored = false
        for rule in rules where !(rule.foldersOnly && !isFolder) {
            let matches: Bool
            if rule.anchored {
                if names == nil { names = path.string.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map(Array.init) }
                matches = Glob.matchComponents(rule.globs, names!)
            } else {
                matches = rule.globs[0].matches(name)
            }
            if matches { ignored = !rule.negated }
        }
        return ignored
    }

    /// Whether ``visible(_:isFolder:)`` takes out the item at `path`: it, or a folder above
    /// it, is ignored.
    public func hides(_ path: RelativePath, isFolder: Bool) -> Bool {
        if isIgnored(path, isFolder: isFolder) { return true }
        var folder = path.parent
        while let current = folder {
            if isIgnored(current, isFolder: true) { return true }
            folder = current.parent
        }
        return false
    }

    /// The outermost folder that hides `path` (itself, when it is an ignored folder), if any:
    /// everything inside it is hidden too.
    func hidingFolder(of path: RelativePath, isFolder: Bool) -> RelativePath? {
        for folder in path.ancestors where isIgnored(folder, isFolder: true) { return folder }
        return isFolder && isIgnored(path, isFolder: true) ? path : nil
    }

    /// `tree` without the paths these rules ignore (an ignored folder takes everything inside
    /// it along): what the planner sees of the remote and synced trees, so that an ignored path
    /// is neither downloaded nor, once it was synced, deleted on the server.
    public func visible<Entry>(_ tree: Tree<Entry>, isFolder: (Entry) -> Bool) -> Tree<Entry> {
        var folders: [RelativePath: Bool] = [:]
        func ignoredFolder(_ folder: RelativePath) -> Bool {
            if let known = folders[folder] { return known }
            let ignored = folder.parent.map(ignoredFolder) == true || isIgnored(folder, isFolder: true)
            folders[folder] = ignored
            return ignored
        }
        // Nearly nothing is ignored in a tree the other side made: the tree is copied only to
        // take out what is.
        var hidden: [RelativePath] = []
        for (path, entry) in tree.entries where path.parent.map(ignoredFolder) == true || isIgnored(path, isFolder: isFolder(entry)) {
            hidden.append(path)
        }
        guard !hidden.isEmpty else { return tree }
        var out = tree
        for path in hidden { out[path] = nil }
        return out
    }
}
