import Foundation
import Testing

@testable import SyncEngine

/// Golden scenarios from `Scenarios/*.scenario`: the plan must be exactly the expected one,
/// and executing it must converge without losing a version.
@Suite struct PlannerScenarioTests {
    static let files: [String] = {
        guard let folder = Bundle.module.resourceURL?.appendingPathComponent("Scenarios"),
            let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path)
        else { return [] }
        return names.filter { $0.hasSuffix(".scenario") }.sorted()
    }()

    @Test func scenariosArePresent() {
        #expect(Self.files.count >= 10)
    }

    @Test(arguments: files)
    func scenario(_ file: String) throws {
        let url = try #require(Bundle.module.resourceURL).appendingPathComponent("Scenarios/\(file)")
        var scenario = try Scenario(name: file, text: String(contentsOf: url, encoding: .utf8))
        let plan = scenario.plan()
        #expect(plan.actions.map(\.description) == scenario.expected, "\(file)")
        #expect((plan.brake != nil) == scenario.expectsBrake)
        let versions = scenario.world.newVersions()
        try scenario.world.apply(plan)
        #expect(scenario.world.divergence() == nil, "\(file):\n\(scenario.world)")
        let kept = Set(scenario.world.local.entries.values.compactMap(\.contentHash))
        #expect(versions.isSubset(of: kept), "\(file): lost \(versions.subtracting(kept))")
    }
}
