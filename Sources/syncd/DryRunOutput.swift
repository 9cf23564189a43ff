import Foundation
import SyncEngine

/// What `syncd run --dry-run` prints: the steps of the first pass, what is held, the brake.
struct DryRunOutput: Encodable {
    var steps: [String]
    var held: [String]
    var brake: String?

    init(_ report: SyncReport) {
        // Bookkeeping steps (recording what already agrees) change nothing a user sees.
        steps = report.planned.filter {
            switch $0 {
            case .recordSynced, .forget, .recordMove: false
            default: true
            }
        }.map(\.description)
        held = report.held.map(\.description)
        brake = report.brake?.description
    }

    func print(json: Bool) throws {
        if json { return try printJSON(self) }
        for step in steps { say(step) }
        for item in held { say("held: \(item)") }
        if let brake { say("brake: \(brake)") }
        say(
            steps.isEmpty
                ? "nothing to do: the folder and the server agree" : "\(steps.count) step\(steps.count == 1 ? "" : "s"); nothing was done (dry run)"
        )
    }
}
