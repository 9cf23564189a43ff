import Concurrently
import Foundation
import Logging
import SyncAPI
import Synchronization

extension FolderSync {
    /// Runs the steps in order; consecutive uploads and downloads run side by side.
    func execute(
        _ actions: [SyncAction],
        state: inout Trees,
        waiting: [RelativePath: Date],
        now: Date,
        folder: LocalFolder,
        report: inout SyncReport
    ) async throws {
        var index = 0
        var failedThisPass = Set<RelativePath>()
        // A path's run of immediate re-plans ends only when one of its steps goes through (or
        // nothing is planned for it any more): refusals that alternate between paths, pass by
        // pass, must still reach the limit.
        var succeededThisPass = Set<RelativePath>()
        let planned = Set(actions.map(\.primaryPath))
        defer { replanStreak.withLock { $0 = $0.filter { planned.contains($0.key) && !succeededThisPass.contains($0.key) } } }
        while index < actions.count {
            var batch: [SyncAction] = []
            while index < actions.count, actions[index].isTransfer || batch.isEmpty {
                batch.append(actions[index])
                index += 1
                if !batch[0].isTransfer { break }
            }
            let (runnable, deferred) = RetrySchedule.split(batch, failedThisPass: failedThisPass, waiting: waiting, now: now)
            report.deferred += deferred
            let snapshot = state
            typealias Outcome = (SyncAction, Result<StepResult, any Error>, Duration)
            var outcomes: [Outcome] = []
            await Concurrently.forEach(runnable, width: configuration.transferConcurrency) { action -> Outcome in
                let started = ContinuousClock.now
                do {
                    return (action, .success(try await self.perform(action, in: snapshot, folder: folder)), ContinuousClock.now - started)
                } catch {
                    return (action, .failure(error), ContinuousClock.now - started)
                }
            } each: { (_, outcome: Outcome) in
                outcomes.append(outcome)
                progressState.withLock { $0.ended += 1 }
                // A simulated crash (tests) ends the pass as a crash would: nothing more starts,
                // and nothing of it is journalled.
                if case .failure(is SimulatedCrash) = outcome.1 { return false }
                return true
            }
            for case (_, .failure(let crash as SimulatedCrash), _) in outcomes { throw crash }
            progressState.withLock { $0.ended += batch.count - runnable.count }
            for (action, outcome, duration) in outcomes {
                switch outcome {
                case .success(let step):
                    step.applyInMemory(&state)
                    report.done.append(action)
                    let path = action.primaryPath
                    succeededThisPass.insert(path)
                    let moved: Int64? =
                        switch action {
                        case .upload, .download: state.local[path]?.size
                        default: nil
                        }
                    report.steps.append(
                        SyncReport.Step(
                            action: action,
                            duration: duration,
                            bytes: moved,
                            remoteRevision: state.remote[action.destinationPath ?? path]?.revision
                        )
                    )
                case .failure(let error):
                    // The paths it was to make wait too: the upload of a conflicted copy whose
                    // move failed has no file to send.
                    failedThisPass.formUnion(action.touchedPaths)
                    if try replan(action, after: error, state: &state, report: &report) { continue }
                    let attempts = (try? journal.errors().first { $0.path == action.primaryPath }?.attempts) ?? 0
                    let retryAt = configuration.retry.retryAt(
                        now: now,
                        attempts: attempts,
                        transient: (error as? any TransientFailure)?.isTransient == true,
                        jitter: configuration.jitter()
                    )
                    try journal.recordError("\(error)", for: action.primaryPath, retryAt: retryAt)
                    logger.error("\(action) failed: \(error)", metadata: ["folder": "\(configuration.root)"])
                    report.failed.append((action, "\(error)"))
                }
            }
        }
    }
}
