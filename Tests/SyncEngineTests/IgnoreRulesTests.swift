import Glibc
import SyncAPI
import Testing

@testable import SyncEngine

/// `.syncignore` matching: gitignore's `**`, and linear in pattern × path (issue 11, item 8).
@Suite struct IgnoreRulesTests {
    func ignored(_ rules: IgnoreRules, _ path: String, folder: Bool = false) -> Bool {
        rules.isIgnored(RelativePath(path)!, isFolder: folder)
    }

    @Test func doubleStarEdgeCases() {
        let inner = IgnoreRules("a/**/b")
        #expect(ignored(inner, "a/b") && ignored(inner, "a/x/b") && ignored(inner, "a/x/y/z/b"))
        #expect(!ignored(inner, "a/xb") && !ignored(inner, "b") && !ignored(inner, "x/a/b") && !ignored(inner, "a/b/c"))

        let leading = IgnoreRules("**/cache")
        #expect(ignored(leading, "cache") && ignored(leading, "x/cache") && ignored(leading, "x/y/z/cache", folder: true))
        #expect(!ignored(leading, "cached") && !ignored(leading, "x/cache/y"))

        let trailing = IgnoreRules("out/**")
        #expect(ignored(trailing, "out/x") && ignored(trailing, "out/x/y/z"))
        #expect(ignored(trailing, "out", folder: true), "as before: a trailing ** also matches nothing")
        #expect(!ignored(trailing, "outer/x") && !ignored(trailing, "x/out/y"))

        let alone = IgnoreRules("**")
        #expect(ignored(alone, "anything") && ignored(alone, "a/b/c"))

        let consecutive = IgnoreRules("a/**/**/**/b")
        #expect(ignored(consecutive, "a/b") && ignored(consecutive, "a/1/2/3/4/b") && !ignored(consecutive, "a/1/2/c"))

        let starsInName = IgnoreRules("x**y")
        #expect(ignored(starsInName, "xy") && ignored(starsInName, "deep/xabcy") && !ignored(starsInName, "xabc"))

        let mixed = IgnoreRules("src/**/test-*.[ch]")
        #expect(ignored(mixed, "src/test-1.c") && ignored(mixed, "src/a/b/test-x.h") && !ignored(mixed, "src/a/test-x.o"))
        #expect(!ignored(mixed, "src/a/test-x.c/more"))

        let star = IgnoreRules("docs/*.md")
        #expect(ignored(star, "docs/a.md") && !ignored(star, "docs/x/a.md"), "* does not cross /")
    }

    @Test func bracketsEscapesAndNegation() {
        let rules = IgnoreRules(
            """
            [abc].txt
            [!0-9]*.log
            \\*literal
            file\\?
            *.tmp
            !keep.tmp
            """
        )
        #expect(ignored(rules, "a.txt") && !ignored(rules, "d.txt"))
        #expect(ignored(rules, "x1.log") && !ignored(rules, "1x.log"))
        #expect(ignored(rules, "*literal") && !ignored(rules, "aliteral"))
        #expect(ignored(rules, "file?") && !ignored(rules, "files"))
        #expect(ignored(rules, "a.tmp") && !ignored(rules, "keep.tmp"))
    }

    /// The pathological rules the issue names decide, on paths where the recursive matcher ran
    /// for hours (`**/` × 25 then a name that does not match: C(depth + 25, depth) ways to try).
    /// Not timed: on the old code this test does not finish.
    @Test func pathologicalRulesStillDecide() {
        let many = IgnoreRules(String(repeating: "**/", count: 25) + "never")
        let deep = Array(repeating: "aaaaaaaaaaaaaaaa", count: 30).joined(separator: "/")
        #expect(!ignored(many, deep))
        #expect(ignored(many, deep + "/never"))
        let folders = IgnoreRules(String(repeating: "**/", count: 25))
        #expect(ignored(folders, deep, folder: true) && !ignored(folders, deep), "**/ x 25 alone: every folder")
        let stars = IgnoreRules(String(repeating: "*a", count: 30) + "*b")
        #expect(!ignored(stars, String(repeating: "a", count: 200)))
        #expect(ignored(stars, String(repeating: "a", count: 200) + "b"))
    }

    /// Within one name the matcher agrees with `fnmatch(3)` (flags 0, the C locale), which the
    /// rules used before, on random patterns of stars, `?`, brackets and escapes. Printed seed
    /// replays a failure.
    @Test func namesMatchAsFnmatchDoes() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var generator = SeededGenerator(seed: seed)
        let pieces = ["a", "b", "*", "?", "]", "!", "-", "\\\\", "^", ".", "[ab]", "[!a]", "[a-c]", "[]a]", "[^.]", "[[:alpha:]-]", "[\\\\]]"]
        let letters = ["a", "b", ".", "-", "]", "!", "\\\\", "["]
        for _ in 0..<20000 {
            let pattern = (0..<Int.random(in: 0...8, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            let name = (0..<Int.random(in: 0...6, using: &generator)).map { _ in letters.randomElement(using: &generator)! }.joined()
            let ours = Glob(pattern).matches(Array(name.utf8))
            #expect(ours == (fnmatch(pattern, name, 0) == 0), "pattern \(pattern) name \(name) (seed \(seed))")
            if ours != (fnmatch(pattern, name, 0) == 0) { return }
        }
    }

    /// `hides` answers for one row what `visible` decides for a whole tree (the quick check
    /// asks row by row).
    @Test func hidesOneRowAsVisibleDoesForTheTree() {
        let rules = IgnoreRules("build/\n*.log\n!keep.log\n/top-only\ndocs/**/draft*\n")
        let paths: [(String, ItemKind)] = [
            ("build", .folder), ("build", .file), ("build/x/y.o", .file), ("src/build", .folder), ("src/build/a", .file), ("a.log", .file),
            ("keep.log", .file), ("logs/keep.log", .file), ("top-only", .file), ("sub/top-only", .file), ("docs/a/b/draft1", .file),
            ("docs/draft", .folder), ("docs/draft/inside", .file), ("plain/file", .file),
        ]
        for (path, kind) in paths {
            let tree = Tree([RelativePath(path)!: kind])
            let visible = rules.visible(tree) { $0 == .folder }
            #expect(rules.hides(RelativePath(path)!, isFolder: kind == .folder) == visible.entries.isEmpty, "\(path) (\(kind))")
        }
    }
}
