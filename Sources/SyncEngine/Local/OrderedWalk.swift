import Foundation
import Glibc
import Synchronization

/// Walks the synced folder in the byte order of its paths, the order the journal keeps them in
/// (SQLite's BINARY collation), so that a walk and a read of the journal can be compared side by
/// side, one item at a time, with nothing of either held whole.
///
/// It sees what ``FolderScanner`` records (the same ignore rules, links and special files
/// reported and skipped, names that are not UTF-8 reported) but hashes nothing: it is for the
/// check that the folder is as the journal left it (``FolderSync/quickCheck(now:dryRun:)``).
///
/// Byte order is not a depth-first walk's order: "a.b" sorts between the folder "a" and "a/x"
/// ('.' is below '/'). So each folder's items are sorted by their name, and a folder's contents
/// by its name followed by "/": the contents then come exactly where the journal has them.
struct OrderedWalk: Sendable {
    let folder: LocalFolder
    let ignore: IgnoreRules

    /// Why a walk stopped before its end.
    enum Stop: Error, Sendable {
        /// The visitor said so.
        case visitor
        /// Something only a full scan deals with: a folder that cannot be read, a leftover
        /// temporary file of a download.
        case needsScan(String)
    }

    /// One item of a folder's listing, or the place of a folder's contents.
    private struct Item {
        var key: [UInt8]
        var path: RelativePath
        /// nil: the contents of the folder at `path`.
        var entry: LocalEntry?
    }

    /// Calls `visit` with every item the scanner would record, in byte order of the path, and
    /// collects what the scanner would report into `problems`.
    /// - Throws: ``Stop`` when the visitor returns false or a folder needs a full scan.
    func run(problems: inout [ScanProblem], visit: (RelativePath, LocalEntry) throws -> Bool) throws {
        var stack: [(items: [Item], next: Int)] = [(try listing(of: nil, problems: &problems), 0)]
        while let top = stack.last {
            guard top.next < top.items.count else {
                stack.removeLast()
                continue
            }
            let item = top.items[top.next]
            stack[stack.count - 1].next += 1
            if let entry = item.entry {
                guard try visit(item.path, entry) else { throw Stop.visitor }
            } else {
                stack.append((try listing(of: item.path, problems: &problems), 0))
            }
        }
    }

    /// The items directly in a folder (nil: the root), each folder also as the place of its
    /// contents, sorted by key.
    private func listing(of path: RelativePath?, problems: inout [ScanProblem]) throws -> [Item] {
        let shown = path?.string ?? "/"
        let opened: Int32
        do { opened = try folder.openFolderDescriptor(path) } catch { throw Stop.needsScan("\(shown): \(error.message)") }
        guard let dir = fdopendir(opened) else {
            close(opened)
            throw Stop.needsScan("\(shown): \(String(cString: strerror(errno)))")
        }
        defer { closedir(dir) }
        // The root's descriptor is a duplicate of the folder's own, sharing its position: a
        // walk of the same folder before this one left it at the end.
        rewinddir(dir)
        let fd = dirfd(dir)
        var items: [Item] = []
        while let found = readdir(dir) {
            let nameBytes = withUnsafeBytes(of: found.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if nameBytes == [46] || nameBytes == [46, 46] { continue }
            guard let name = String(validating: nameBytes, as: UTF8.self) else {
                // As the scanner: a temporary's name that is not UTF-8 is not reported either.
                if nameBytes.starts(with: FolderScanner.temporaryPrefix) { continue }
                problems.append(.invalidName(in: path, shown: String(decoding: nameBytes, as: UTF8.self)))
                continue
            }
            let itemPath = path.map { $0.appending(name) } ?? RelativePath(unchecked: name)
            var info = stat()
            guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                let failure = errno
                if failure == ENOENT { continue }  // vanished meanwhile
                throw Stop.needsScan("\(itemPath): \(String(cString: strerror(failure)))")
            }
            // A download's leftover temporary file: the scan removes it (a regular file).
            if nameBytes.starts(with: FolderScanner.temporaryPrefix) {
                if info.st_mode & S_IFMT == S_IFREG { throw Stop.needsScan("\(shown): a download's temporary file is left") }
                continue
            }
            let status = FileStatus(info)
            switch status.kind {
            case .folder, .file:
                let isFolder = status.kind == .folder
                guard !ignore.isIgnored(itemPath, isFolder: isFolder), let entry = status.entry() else { continue }
                items.append(Item(key: nameBytes, path: itemPath, entry: entry))
                if isFolder { items.append(Item(key: nameBytes + [UInt8(ascii: "/")], path: itemPath, entry: nil)) }
            case .symlink:
                if !ignore.isIgnored(itemPath, isFolder: false) { problems.append(.symlink(itemPath)) }
            case .other:
                problems.append(.special(itemPath))
            }
        }
        items.sort { $0.key.lexicographicallyPrecedes($1.key) }
        return items
    }
}

extension OrderedWalk {
    /// Runs the walk on a thread of its own, handing its items in order to `body` through a
    /// pipe of a few chunks (`next` returns nil after the last; it throws what stopped the walk).
    /// Returns once the walk's thread has ended, with what the walk reported.
    func runAside<T>(_ body: (_ next: () throws -> (RelativePath, LocalEntry)?) throws -> T) throws -> (T, problems: [ScanProblem]) {
        let pipe = ChunkPipe<(RelativePath, LocalEntry)>(capacity: 8)
        let reported = Mutex<[ScanProblem]>([])
        let ended = DispatchSemaphore(value: 0)
        Thread { [self] in
            var problems: [ScanProblem] = []
            var chunk: [(RelativePath, LocalEntry)] = []
            do {
                try run(problems: &problems) { path, entry in
                    chunk.append((path, entry))
                    guard chunk.count == 1024 else { return true }
                    defer { chunk = [] }
                    return pipe.put(chunk)
                }
                if pipe.put(chunk) { pipe.finish() }
            } catch {
                pipe.finish(failure: error)
            }
            reported.withLock { $0 = problems }
            ended.signal()
        }.start()
        var chunk: [(RelativePath, LocalEntry)] = []
        var index = 0
        let result: Result<T, any Error> = Result {
            try body {
                while index == chunk.count {
                    guard let more = try pipe.take() else { return nil }
                    (chunk, index) = (more, 0)
                }
                defer { index += 1 }
                return chunk[index]
            }
        }
        // However `body` ended, the walk is stopped and its thread waited for.
        pipe.cancel()
        ended.wait()
        return (try result.get(), reported.withLock { $0 })
    }
}
