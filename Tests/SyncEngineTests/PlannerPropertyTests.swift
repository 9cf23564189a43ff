import Foundation
import Testing

@testable import SyncEngine

/// Random worlds, planned and executed: the plan must run (every step's preconditions hold),
/// leave the three trees equal, lose no version either side had, and leave nothing for a
/// second pass. A failure prints its seed; `SYNCD_PLANNER_SEED=N` replays from it.
@Suite struct PlannerPropertyTests {
    static let cases = ProcessInfo.processInfo.environment["SYNCD_PLANNER_CASES"].flatMap(Int.init) ?? 20_000
    static let firstSeed =
        ProcessInfo.processInfo.environment["SYNCD_PLANNER_SEED"].flatMap(UInt64.init)
        ?? UInt64(Date().timeIntervalSince1970) &* 1000

    @Test func randomWorldsConvergeWithoutLoss() {
        var policy = Scenario.policy
        policy.allowMassDelete = true
        var failures = 0
        var seen: [String: Int] = [:]
        for offset in 0..<UInt64(Self.cases) where failures < 3 {
            let seed = Self.firstSeed &+ offset
            var world = RandomWorld.make(seed: seed)
            let before = world
            let versions = world.newVersions()
            let plan = plan(local: world.local, remote: world.remote, synced: world.synced, policy: policy)
            let steps = plan.actions.map { "  \($0)" }.joined(separator: "\n")
            for action in plan.actions { seen[String("\(action)".prefix { $0 != " " }) + Self.detail(action), default: 0] += 1 }
            do {
                try world.apply(plan)
            } catch {
                failures += 1
                Issue.record("seed \(seed): \(error)\nbefore:\n\(before)\nplan:\n\(steps)")
                continue
            }
            if let divergence = world.divergence() {
                failures += 1
                Issue.record("seed \(seed): not converged: \(divergence)\nbefore:\n\(before)\nplan:\n\(steps)\nafter:\n\(world)")
                continue
            }
            let kept = Set(world.local.entries.values.compactMap(\.contentHash))
            if !versions.isSubset(of: kept) {
                failures += 1
                Issue.record("seed \(seed): lost \(versions.subtracting(kept).sorted())\nbefore:\n\(before)\nplan:\n\(steps)")
                continue
            }
            let again = SyncEngine.plan(local: world.local, remote: world.remote, synced: world.synced, policy: policy)
            if !again.actions.isEmpty {
                failures += 1
                Issue.record("seed \(seed): second pass still plans \(again.actions)\nbefore:\n\(before)\nplan:\n\(steps)")
            }
        }
        if failures > 0 { Issue.record("replay with SYNCD_PLANNER_SEED=<seed above>") }
        // The workload must reach every kind of step, or the property says little.
        let kinds = [
            "upload", "download", "mkdir-local", "mkdir-remote", "move-local", "move-remote", "conflict",
            "delete-local-file", "delete-local-folder", "delete-remote-file", "delete-remote-folder", "record", "forget",
        ]
        for kind in kinds {
            #expect(seen[kind, default: 0] > 0, "no \(kind) step in \(Self.cases) random worlds")
        }
        print("planner property: \(Self.cases) worlds from seed \(Self.firstSeed); steps: \(seen.sorted { $0.key < $1.key })")
    }

    static func detail(_ action: SyncAction) -> String {
        switch action {
        case .createLocalFolder: "-local"
        case .createRemoteFolder: "-remote"
        case .moveLocal: "-local"
        case .moveRemote: "-remote"
        case .deleteLocal(_, let kind): "-local-\(kind)"
        case .deleteRemote(_, let kind): "-remote-\(kind)"
        default: ""
        }
    }
}
