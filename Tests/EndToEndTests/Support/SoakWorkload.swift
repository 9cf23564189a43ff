import Foundation
import Glibc
import SyncAPI
import SyncDaemon
import SyncEngine
import Synchronization

/// A seeded random source (SplitMix64): a soak's seed gives the same choices again (the
/// timing of processes does not replay exactly).
struct SoakRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
}

/// What the writers of a soak produced, for the end check: per writer, the last content it
/// left at each path (not deleted or moved away by it since). Each must be somewhere in the
/// account at the end (current, in a file's history, in the trash, or in a conflicted copy).
final class SoakLedger: @unchecked Sendable {
    private let state = Mutex<State>(State())
    struct State {
        var last: [String: [String: String]] = [:]
        var operations: [String: Int] = [:]
        /// Writes a download replaced while they were made (the install checked the file just
        /// before): the user's editor would see the file change under it; not counted as made.
        var racedWrites = 0
        var bigWrites = 0
    }

    func wrote(_ writer: String, _ path: String, hash: String) {
        state.withLock { $0.last[writer, default: [:]][path] = hash }
    }
    func forget(_ writer: String, _ path: String) {
        state.withLock { _ = $0.last[writer]?.removeValue(forKey: path) }
    }
    func moved(_ writer: String, _ from: String, _ to: String) {
        state.withLock { state in
            let hash = state.last[writer]?.removeValue(forKey: from)
            if let hash { state.last[writer, default: [:]][to] = hash }
        }
    }
    func count(_ writer: String) { state.withLock { $0.operations[writer, default: 0] += 1 } }
    func raced() { state.withLock { $0.racedWrites += 1 } }
    func big() { state.withLock { $0.bigWrites += 1 } }
    var snapshot: State { state.withLock { $0 } }
}

/// The names a soak's writers use: three folders; files private to one writer (only it ever
/// writes them, so a conflicted copy of one is a bug) and files all writers share.
enum SoakNames {
    static let folders = ["", "sub", "sub/deeper"]
    static func privateName(_ writer: String, _ i: Int) -> String { "\(writer)-\(i).txt" }
    static func sharedName(_ i: Int) -> String { "shared-\(i).txt" }
    static func join(_ folder: String, _ name: String) -> String { folder.isEmpty ? name : folder + "/" + name }

    /// Whose private file `path` is (or a conflicted copy of), if anyone's.
    static func owner(of path: String, writers: [String]) -> String? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return writers.first { name.hasPrefix($0 + "-") }
    }

    /// The file a conflicted copy was made of.
    static func original(of copy: String) -> String {
        guard let range = copy.range(of: " (conflicted copy from ") else { return copy }
        let rest = copy[range.upperBound...]
        let ext = rest.firstIndex(of: ")").map { String(rest[rest.index(after: $0)...]) } ?? ""
        return String(copy[..<range.lowerBound]) + ext
    }

    static func content(_ writer: String, _ n: Int, seed: UInt64, random: inout SoakRandom, size: Int? = nil) -> Data {
        var data = Data("\(writer) #\(n) seed \(seed)\n".utf8)
        let length = size ?? Int.random(in: 0...6000, using: &random)
        var bytes = [UInt8](repeating: 0, count: length)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: 32 + Int(random.next() % 95)) }
        data.append(contentsOf: bytes)
        return data
    }
}

/// A person working in one device's folder, daemon running or not: creates, rewrites (in place
/// or as an editor's temporary-then-rename save), appends, deletes and renames, now and then a
/// file of two blocks.
struct DeviceWriter: Sendable {
    let writer: String
    let folder: String
    let seed: UInt64
    let ledger: SoakLedger

    func run(until deadline: ContinuousClock.Instant, random: SoakRandom) async {
        var random = random
        var n = 0
        var lastBig = ContinuousClock.now
        while ContinuousClock.now < deadline {
            n += 1
            step(n, random: &random, lastBig: &lastBig)
            ledger.count(writer)
            try? await Task.sleep(for: .milliseconds(Int.random(in: 50...400, using: &random)))
        }
    }

    private func path(_ relative: String) -> String { folder + "/" + relative }

    private func exists(_ relative: String) -> Bool {
        var st = stat()
        return lstat(path(relative), &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    private func step(_ n: Int, random: inout SoakRandom, lastBig: inout ContinuousClock.Instant) {
        let folderName = SoakNames.folders.randomElement(using: &random)!
        let mine = SoakNames.join(folderName, SoakNames.privateName(writer, Int.random(in: 0..<6, using: &random)))
        let roll = Double.random(in: 0..<1, using: &random)
        switch roll {
        case ..<0.35:
            let big = ContinuousClock.now - lastBig > .seconds(20) && random.chance(0.15)
            if big {
                lastBig = ContinuousClock.now
                ledger.big()
            }
            let target = big ? SoakNames.join(folderName, "\(writer)-big.bin") : mine
            write(target, SoakNames.content(writer, n, seed: seed, random: &random, size: big ? 9 << 20 : nil), viaRename: random.chance(0.3))
        case ..<0.45:
            append(mine, SoakNames.content(writer, n, seed: seed, random: &random, size: Int.random(in: 1...500, using: &random)))
        case ..<0.6:
            let shared = SoakNames.join(folderName, SoakNames.sharedName(Int.random(in: 0..<3, using: &random)))
            write(shared, SoakNames.content(writer, n, seed: seed, random: &random), viaRename: random.chance(0.3))
        case ..<0.7:
            if exists(mine), unlink(path(mine)) == 0 { ledger.forget(writer, mine) }
        case ..<0.75:
            let shared = SoakNames.join(folderName, SoakNames.sharedName(Int.random(in: 0..<3, using: &random)))
            if exists(shared), unlink(path(shared)) == 0 { ledger.forget(writer, shared) }
        default:
            let to = SoakNames.join(
                SoakNames.folders.randomElement(using: &random)!,
                SoakNames.privateName(writer, Int.random(in: 0..<6, using: &random))
            )
            guard to != mine, exists(mine), !exists(to) else { return }
            makeFolder(of: to)
            if renameat2_noreplace(path(mine), path(to)) { ledger.moved(writer, mine, to) }
        }
    }

    private func makeFolder(of relative: String) {
        let parent = (path(relative) as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
    }

    /// Writes `data` at `relative` and records it when it really is what the path holds after.
    private func write(_ relative: String, _ data: Data, viaRename: Bool) {
        makeFolder(of: relative)
        let hash = ContentIdentity.identity(of: data)
        if viaRename {
            let temp = SoakNames.join((relative as NSString).deletingLastPathComponent, ".goutputstream-\(UInt32.random(in: 0...UInt32.max))")
            guard let inode = writeFile(path(temp), data, flags: O_CREAT | O_EXCL | O_WRONLY) else { return }
            guard rename(path(temp), path(relative)) == 0 else {
                unlink(path(temp))
                return
            }
            if currentInode(relative) == inode { ledger.wrote(writer, relative, hash: hash) } else { ledger.raced() }
        } else {
            guard let inode = writeFile(path(relative), data, flags: O_CREAT | O_TRUNC | O_WRONLY) else { return }
            if currentInode(relative) == inode { ledger.wrote(writer, relative, hash: hash) } else { ledger.raced() }
        }
    }

    private func append(_ relative: String, _ data: Data) {
        guard exists(relative) else { return }
        let fd = open(path(relative), O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return }
        defer { close(fd) }
        // What this inode holds, read through the same descriptor the append goes through.
        var content = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            content.append(contentsOf: buffer[0..<n])
        }
        guard data.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress, $0.count) }) == data.count else { return }
        var st = stat()
        fstat(fd, &st)
        if currentInode(relative) == st.st_ino {
            ledger.wrote(writer, relative, hash: ContentIdentity.identity(of: content + data))
        } else {
            ledger.raced()
        }
    }

    private func writeFile(_ path: String, _ data: Data, flags: Int32) -> ino_t? {
        let fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var offset = 0
        while offset < data.count {
            let n = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            guard n > 0 else { return nil }
            offset += n
        }
        var st = stat()
        fstat(fd, &st)
        return st.st_ino
    }

    private func currentInode(_ relative: String) -> ino_t? {
        var st = stat()
        return lstat(path(relative), &st) == 0 ? st.st_ino : nil
    }

    private func renameat2_noreplace(_ from: String, _ to: String) -> Bool {
        // A plain rename could replace a file the daemon just downloaded there; link + unlink
        // cannot, and is what a careful `mv -n` does.
        guard link(from, to) == 0 else { return false }
        unlink(from)
        return true
    }
}

/// A person using the dashboard: lists, then uploads over what it saw (its base revision),
/// deletes and moves, straight to the server (not through a fault proxy; the server may be
/// down, which fails the step).
struct APIWriter: Sendable {
    let writer = "api"
    let remote: ServerRemote
    let api: ServerAPI
    let scratch: String
    let seed: UInt64
    let ledger: SoakLedger

    func run(until deadline: ContinuousClock.Instant, random: SoakRandom) async {
        var random = random
        var n = 0
        while ContinuousClock.now < deadline {
            n += 1
            await step(n, random: &random)
            ledger.count(writer)
            try? await Task.sleep(for: .milliseconds(Int.random(in: 200...800, using: &random)))
        }
    }

    private func step(_ n: Int, random: inout SoakRandom) async {
        guard let listing: FileListing = try? await api.get("/files") else { return }
        let files = Dictionary(listing.files.map { ($0.path, $0) }) { a, _ in a }
        let folder = files["sub"]?.kind == .folder && random.chance(0.5) ? "sub" : ""
        let mine = SoakNames.join(folder, SoakNames.privateName(writer, Int.random(in: 0..<4, using: &random)))
        let roll = Double.random(in: 0..<1, using: &random)
        switch roll {
        case ..<0.5:
            await upload(mine, SoakNames.content(writer, n, seed: seed, random: &random), over: files[mine])
        case ..<0.7:
            let shared = SoakNames.join(folder, SoakNames.sharedName(Int.random(in: 0..<3, using: &random)))
            await upload(shared, SoakNames.content(writer, n, seed: seed, random: &random), over: files[shared])
        case ..<0.85:
            guard let file = files[mine], file.kind == .file else { return }
            do {
                try await remote.delete(RelativePath(mine)!, revision: file.revision)
                ledger.forget(writer, mine)
            } catch {}
        default:
            let to = SoakNames.privateName(writer, Int.random(in: 0..<4, using: &random))
            guard let file = files[mine], file.kind == .file, files[to] == nil, to != mine else { return }
            do {
                _ = try await remote.move(RelativePath(mine)!, to: RelativePath(to)!, revision: file.revision)
                ledger.moved(writer, mine, to)
            } catch {
                // An unanswered move may or may not have happened: claim nothing of either name.
                if !(error is RemoteConflict) { ledger.forget(writer, mine) }
            }
        }
    }

    private func upload(_ path: String, _ data: Data, over existing: FileMetadata?) async {
        guard existing?.kind != .folder else { return }
        let file = scratch + "/upload-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: file, contents: data) else { return }
        defer { unlink(file) }
        let hash = ContentIdentity.identity(of: data)
        guard let source = UploadSource(path: RelativePath(path)!, file: file, contentHash: hash) else { return }
        do {
            _ = try await remote.upload(source, baseRevision: existing?.revision)
            ledger.wrote(writer, path, hash: hash)
        } catch {
            // Refused (409: someone was first) or unanswered: the dashboard shows an error; an
            // unanswered one may have been recorded, so nothing is claimed either way.
        }
    }
}
