import Foundation
import SyncAPI

@testable import SyncEngine

/// A planner scenario in text, in the spirit of rclone bisync's testdata: three trees and the
/// plan expected from them.
///
///     # a comment
///     synced:
///       folder docs @1
///       file docs/a.txt h1 @2 r3
///     local:
///       ...
///     remote:
///       ...
///     expect:
///       upload docs/a.txt over r3
///
/// `@N` is an item's identity: inode N locally, file id `idN` remotely, both in the synced
/// tree. `rN` is the remote revision (1 when omitted). Expected lines are the actions'
/// descriptions, in order; `brake` alone on a line expects the mass-delete brake.
struct Scenario {
    var name: String
    var world = World()
    var expected: [String] = []
    var expectsBrake = false

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    static let policy = SyncPolicy(hostName: "laptop", now: Date(timeIntervalSince1970: 1_796_000_000))

    init(name: String, text: String) throws {
        self.name = name
        var section = ""
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasSuffix(":") && !raw.hasPrefix(" ") {
                section = String(line.dropLast())
                continue
            }
            if section == "expect" {
                if line == "brake" { expectsBrake = true } else { expected.append(line) }
                continue
            }
            let tokens = line.split(separator: " ").map(String.init)
            guard tokens.count >= 3, let kind = ItemKind(rawValue: tokens[0]), let path = RelativePath(tokens[1]) else {
                throw ParseError(description: "\(name):\(number + 1): cannot read \"\(line)\"")
            }
            var hash: String?
            var identity: UInt64?
            var revision: Int64 = 1
            for token in tokens.dropFirst(2) {
                if token.hasPrefix("@") {
                    identity = UInt64(token.dropFirst())
                } else if token.hasPrefix("r"), let value = Int64(token.dropFirst()) {
                    revision = value
                } else {
                    hash = token
                }
            }
            guard let id = identity else { throw ParseError(description: "\(name):\(number + 1): no @identity") }
            let size = Int64(hash?.count ?? 0)
            switch section {
            case "synced":
                world.synced[path] = SyncedEntry(kind: kind, contentHash: hash, size: size, inode: id, fileId: "id\(id)", revision: revision)
            case "local":
                world.local[path] = LocalEntry(kind: kind, size: size, inode: id, contentHash: hash)
            case "remote":
                world.remote[path] = RemoteEntry(kind: kind, fileId: "id\(id)", revision: revision, size: size, contentHash: hash)
            default:
                throw ParseError(description: "\(name):\(number + 1): entry outside synced/local/remote")
            }
        }
    }

    func plan(policy: SyncPolicy = Scenario.policy) -> Plan {
        SyncEngine.plan(local: world.local, remote: world.remote, synced: world.synced, policy: policy)
    }
}
