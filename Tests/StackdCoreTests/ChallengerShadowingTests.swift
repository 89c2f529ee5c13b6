import StackdCore
import XCTest

/// Challengers are scored prequentially on the rows emitted once they are installed, beside the
/// served ensemble on the same rows, and never change what is published.
final class ChallengerShadowingTests: XCTestCase {
    let a = [0.2, 0.3, 0.5], b = [0.5, 0.3, 0.2]

    func row(_ p: StackingPipeline, ts: Int64, _ h: inout TrainingRecorder) {
        for (m, v) in [("a", a), ("b", b)] {
            var bytes = WireEncoder.binaryPrediction(model: m, symbol: "SPX", horizon: 5, eventTime: ts, sequence: 1, probabilities: v)
            _ = bytes.withUnsafeMutableBytes { p.ingest(topic: nil, payload: UnsafeRawBufferPointer($0), receivedAt: 0, handler: &h) }
        }
    }

    func label(_ p: StackingPipeline, ts: Int64, _ c: Int, _ h: inout TrainingRecorder) {
        var bytes = WireEncoder.binaryLabel(symbol: "SPX", horizon: 5, eventTime: ts, sequence: 1, classIndex: c, classCount: 3,
                                            forwardReturn: 0, exitTime: 0)
        _ = bytes.withUnsafeMutableBytes { p.ingest(topic: nil, payload: UnsafeRawBufferPointer($0), receivedAt: 0, handler: &h) }
    }

    func testChallengerLogLossIsPrequentialOnTheRowsEmittedAfterItsApplyTime() throws {
        let p = try StackingPipeline(configuration: PipelineConfiguration(models: ["a", "b"], horizons: [5]),
                                     challengers: ["x", "y"], challengerWindow: 2)
        var h = TrainingRecorder()
        row(p, ts: 1, &h)
        // Challengers from a retrain applying at 3; the served model of another at 4.
        XCTAssertTrue(p.offerChallengers([ConstantCombiner(version: 1, answer: [0.2, 0.5, 0.3]),
                                          ConstantCombiner(version: 1, answer: [0.1, 0.1, 0.8])], forHorizonIndex: 0, applyFrom: 3))
        XCTAssertTrue(p.offer(ConstantCombiner(version: 7, answer: [0.2, 0.2, 0.6]), forHorizonIndex: 0, applyFrom: 4))
        XCTAssertNil(p.challenger(0, forHorizonIndex: 0))
        for ts in 2...5 { row(p, ts: Int64(ts), &h) }
        XCTAssertNotNil(p.challenger(0, forHorizonIndex: 0))
        // Published: averaging (0.35, 0.3, 0.35) up to 3, then v7; never a challenger.
        XCTAssertEqual(h.outputs.map(\.version), [0, 0, 0, 7, 7])
        for o in h.outputs.prefix(3) {
            for (x, y) in zip(o.p, [0.35, 0.3, 0.35]) { XCTAssertEqual(x, y, accuracy: 1e-15) }
        }
        XCTAssertEqual(h.outputs[3].p, [0.2, 0.2, 0.6])

        for (ts, c) in [(1, 0), (2, 2), (3, 0), (4, 2), (5, 1)] { label(p, ts: Int64(ts), c, &h) }
        let s = p.challengerStandings(horizonIndex: 0)
        XCTAssertEqual(s.map(\.name), ["x", "y"])
        // Rows 1 and 2 were emitted before the challengers applied: scored for neither side.
        XCTAssertEqual(s[0].challenger.count, 3)
        XCTAssertEqual(s[0].champion.count, 3)
        XCTAssertEqual(p.scoreboard.ensemble[0].count, 5, "the ensemble's own score keeps every row")
        // x on rows 3, 4, 5 (labels 0, 2, 1): −ln 0.2, −ln 0.3, −ln 0.5.
        XCTAssertEqual(s[0].challenger.logLoss, -(log(0.2) + log(0.3) + log(0.5)) / 3, accuracy: 1e-12)
        // y: −ln 0.1, −ln 0.8, −ln 0.1.
        XCTAssertEqual(s[1].challenger.logLoss, -(log(0.1) + log(0.8) + log(0.1)) / 3, accuracy: 1e-12)
        // The champion on the same rows: averaging on 3 (−ln 0.35), v7 on 4 (−ln 0.6) and 5 (−ln 0.2).
        XCTAssertEqual(s[0].champion.logLoss, -(log(0.35) + log(0.6) + log(0.2)) / 3, accuracy: 1e-12)
        XCTAssertEqual(s[1].champion.logLoss, s[0].champion.logLoss, accuracy: 1e-15)
        // The last 2 rows (4, 5).
        XCTAssertEqual(s[0].recentCount, 2)
        XCTAssertEqual(s[0].recentLogLoss, -(log(0.3) + log(0.5)) / 2, accuracy: 1e-12)
        XCTAssertEqual(s[0].recentChampionLogLoss, -(log(0.6) + log(0.2)) / 2, accuracy: 1e-12)
        XCTAssertEqual(s[1].recentLogLoss, -(log(0.8) + log(0.1)) / 2, accuracy: 1e-12)
        // x: 0.949 < 1.060 over 2 rows; y: 1.263 does not; a window of 3 was never kept.
        XCTAssertTrue(s[0].beatsChampion(minRows: 2))
        XCTAssertFalse(s[1].beatsChampion(minRows: 2))
        XCTAssertFalse(s[0].beatsChampion(minRows: 3))
        XCTAssertFalse(s[0].beatsChampion(minRows: 0))

        // A retrain request carries the standings: the evidence the promotion rule reads.
        let request = try XCTUnwrap(p.requestTraining(horizonIndex: 0))
        XCTAssertEqual(request.challengers, s)
    }

    func testRecentWindowSlidesOverTheNewestRows() throws {
        var score = ChallengerScore(window: 2)
        func add(_ p: [Double], _ e: [Double], _ label: Int) {
            p.withUnsafeBufferPointer { pb in e.withUnsafeBufferPointer { score.add(pb, label: label, champion: $0) } }
        }
        add([0.5, 0.5], [0.9, 0.1], 0)
        add([0.25, 0.75], [0.5, 0.5], 1)
        add([0.8, 0.2], [0.4, 0.6], 0)
        add([0.1, 0.9], [0.3, 0.7], 1)
        XCTAssertEqual(score.recentCount, 2)
        XCTAssertEqual(score.recentLogLoss, -(log(0.8) + log(0.9)) / 2, accuracy: 1e-12)
        XCTAssertEqual(score.recentChampionLogLoss, -(log(0.4) + log(0.7)) / 2, accuracy: 1e-12)
        XCTAssertEqual(score.challenger.count, 4)
        XCTAssertEqual(score.challenger.logLoss, -(log(0.5) + log(0.75) + log(0.8) + log(0.9)) / 4, accuracy: 1e-12)
    }

    func testLateChallengersApplyFromTheNextRowAndMismatchedListsAreRefused() throws {
        let p = try StackingPipeline(configuration: PipelineConfiguration(models: ["a", "b"], horizons: [5]), challengers: ["x"])
        var h = TrainingRecorder()
        row(p, ts: 1, &h)
        row(p, ts: 2, &h)
        XCTAssertFalse(p.offerChallengers([ConstantCombiner(version: 1, answer: [1, 0, 0]),
                                           ConstantCombiner(version: 1, answer: [0, 1, 0])], forHorizonIndex: 0, applyFrom: 3),
                       "two models for one configured challenger")
        XCTAssertFalse(p.offerChallengers([ConstantCombiner(version: 1, answer: [0.5, 0.25, 0.25])], forHorizonIndex: 0, applyFrom: 2))
        row(p, ts: 3, &h)
        for ts in 1...3 { label(p, ts: Int64(ts), 0, &h) }
        let s = p.challengerStandings(horizonIndex: 0)[0]
        XCTAssertEqual(s.challenger.count, 1, "late: applies from the next row emitted (3)")
        XCTAssertEqual(s.challenger.logLoss, -log(0.5), accuracy: 1e-12)
        XCTAssertEqual(s.recentCount, 0, "challenger_min_rows 0: cumulative only")
    }
}
