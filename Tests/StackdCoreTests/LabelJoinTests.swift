import StackdCore
import StackdTestSupport
import XCTest

/// The label join (`StackingPipeline+LabelJoin.swift`): a label meets its emitted row, every
/// predictor is scored on it, and a label that comes before its row waits for it.
final class LabelJoinTests: XCTestCase {
    func testLabelsAreJoinedAndScoredForEveryPredictor() throws {
        let p = try makePipeline(models: ["a", "b"])
        var h = OutputRecorder()
        p.predict("a", [0.1, 0.1, 0.8], into: &h)
        p.predict("b", [0.5, 0.25, 0.25], into: &h)
        let label = WireEncoder.binaryLabel(symbol: "SPX", horizon: 5, eventTime: 100, sequence: 1, classIndex: 2,
                                            classCount: 3, forwardReturn: 0.01, exitTime: 200)
        XCTAssertEqual(p.feed(label, topic: "label.SPX.5", into: &h), .label(matched: true))
        XCTAssertEqual(p.feed(label, topic: "label.SPX.5", into: &h), .label(matched: false), "a second label finds nothing")
        let s = p.scoreboard
        // average = [0.3, 0.175, 0.525]: −ln 0.525
        XCTAssertEqual(s.average[0].logLoss, -log(0.525), accuracy: 1e-12)
        XCTAssertEqual(s.models[0][0].logLoss, -log(0.8), accuracy: 1e-12)
        XCTAssertEqual(s.models[0][1].logLoss, -log(0.25), accuracy: 1e-12)
        XCTAssertEqual(s.models[0][1].accuracy, 0)
        // Brier of a: 0.1² + 0.1² + 0.2² = 0.06
        XCTAssertEqual(s.models[0][0].brier, 0.06, accuracy: 1e-12)
        XCTAssertEqual(p.counters.labelsMatched, 1)
        XCTAssertEqual(p.counters.labelsUnmatched, 1)
    }

    func testLabelBeforeItsRowIsHeldAndJoinedWhenTheRowIsEmitted() throws {
        let p = try makePipeline(models: ["a", "b"])
        var h = OutputRecorder()
        func label(ts: Int64, _ c: Int) -> IngestOutcome {
            p.feed(WireEncoder.binaryLabel(symbol: "SPX", horizon: 5, eventTime: ts, sequence: 1, classIndex: c, classCount: 3,
                                           forwardReturn: 0.01, exitTime: ts + 5), into: &h)
        }
        // The label for ts 100 arrives first (symbol never seen yet: any symbol is accepted).
        XCTAssertEqual(label(ts: 100, 2), .label(matched: false))
        XCTAssertEqual(p.counters.labelsHeld, 1)
        XCTAssertEqual(p.counters.labelsUnmatched, 0)
        p.predict("a", ts: 100, [0.1, 0.1, 0.8], into: &h)
        XCTAssertEqual(p.scoreboard.models[0][0].count, 0, "not joined before the row is emitted")
        p.predict("b", ts: 100, [0.5, 0.25, 0.25], into: &h)
        XCTAssertEqual(h.outputs.count, 1)
        XCTAssertEqual(p.counters.labelsHeld, 0)
        XCTAssertEqual(p.counters.labelsJoinedLate, 1)
        XCTAssertEqual(p.counters.labelsMatched, 1)
        XCTAssertEqual(p.scoreboard.models[0][0].logLoss, -log(0.8), accuracy: 1e-12)
        XCTAssertEqual(p.windowSnapshot(horizonIndex: 0).labels, [2])
        // A label at or below the watermark whose row is not awaiting (already labelled) is unmatched, not held.
        XCTAssertEqual(label(ts: 100, 1), .label(matched: false))
        XCTAssertEqual(p.counters.labelsUnmatched, 1)
        XCTAssertEqual(p.counters.labelsHeld, 0)
    }
}

/// The training window the label join feeds: a pipeline that will never train keeps none.
final class TrainingWindowTests: XCTestCase {
    /// A pipeline that will never train keeps no window, and everything it emits and scores is
    /// the same as with the window kept.
    func testWithoutATrainingWindowOutputsAndScoresAreUnchanged() throws {
        let configuration = PipelineConfiguration(models: ["a", "b"], horizons: [5], deadlineNanoseconds: 1_000,
                                                  minModels: 1, maxPendingRows: 16)
        let kept = try StackingPipeline(configuration: configuration)
        let skipped = try StackingPipeline(configuration: configuration, keepsTrainingWindow: false)
        var h1 = OutputRecorder(), h2 = OutputRecorder()
        for (p, h) in [(kept, 1), (skipped, 2)] {
            for t in Int64(1)...40 {
                let pa = [0.2, 0.3, 0.5], pb = [0.6, 0.3, 0.1]
                if h == 1 { p.predict("a", ts: t, pa, into: &h1); p.predict("b", ts: t, pb, into: &h1) }
                else { p.predict("a", ts: t, pa, into: &h2); p.predict("b", ts: t, pb, into: &h2) }
                let label = WireEncoder.binaryLabel(symbol: "SPX", horizon: 5, eventTime: t, sequence: 1, classIndex: Int(t % 3),
                                                    classCount: 3, forwardReturn: 0.01, exitTime: t + 1)
                if h == 1 { p.feed(label, into: &h1) } else { p.feed(label, into: &h2) }
            }
        }
        XCTAssertEqual(h1.outputs.count, 40)
        XCTAssertEqual(h1.outputs, h2.outputs)
        XCTAssertEqual(kept.counters.labelsMatched, 40)
        XCTAssertEqual(skipped.counters.labelsMatched, 40)
        XCTAssertEqual(kept.scoreboard.ensemble[0].logLoss, skipped.scoreboard.ensemble[0].logLoss)
        XCTAssertEqual(kept.windowSnapshot(horizonIndex: 0).count, 40)
        XCTAssertEqual(skipped.windowSnapshot(horizonIndex: 0).count, 0)
        XCTAssertNotNil(kept.requestTraining(horizonIndex: 0))
        XCTAssertNil(skipped.requestTraining(horizonIndex: 0), "nothing to train from")
    }
}
