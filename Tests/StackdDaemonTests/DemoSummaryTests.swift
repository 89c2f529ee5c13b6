import StackdCore
@testable import StackdDaemon
import StackdTraining
import XCTest

/// The demo's closing summary names, for each horizon's latest retrain, the model it leaves
/// served: for a kept champion that is the serving model's version, not the result's (a kept
/// result carries no model, so its own version is 0).
final class DemoSummaryTests: XCTestCase {
    func testAKeptChampionShowsTheServedVersion() {
        var s = RunnerSnapshot(horizonCount: 2)
        s.horizons = [5, 10]
        s.activeModelVersions = [7, 4]
        s.recordTraining(TrainingSummary(TrainingResult(horizon: 5, horizonIndex: 0, requestSequence: 9, applyFrom: 0, rows: 300,
                                                        decision: .keep, reason: "champion v7 kept", combiner: nil)))
        s.recordTraining(TrainingSummary(TrainingResult(horizon: 10, horizonIndex: 1, requestSequence: 4, applyFrom: 0, rows: 200,
                                                        decision: .promote, reason: "promoted",
                                                        combiner: WeightedAverageCombiner(weights: [1, 2], classCount: 3, version: 4))))
        let text = DemoRunner.finalSummary(s, sent: 0, consumed: 0)
        XCTAssertTrue(text.contains("  h5: keep (v7, 300 rows): champion v7 kept"), text)
        XCTAssertTrue(text.contains("  h10: promote (v4, 200 rows): promoted"), text)
        XCTAssertFalse(text.contains("keep (v0"), text)
    }
}
