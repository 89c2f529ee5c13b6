import StackdCore
import StackdTestSupport
import XCTest

final class AssemblyTests: XCTestCase {
    func testCompleteRowIsEmittedOnceWithAveragedProbabilities() throws {
        let p = try makePipeline()
        var h = OutputRecorder()
        XCTAssertEqual(p.predict("a", [0.2, 0.3, 0.5], into: &h), .prediction)
        XCTAssertEqual(p.predict("b", [0.6, 0.3, 0.1], into: &h), .prediction)
        XCTAssertTrue(h.outputs.isEmpty, "a row waits for every model")
        XCTAssertEqual(p.predict("c", [0.1, 0.3, 0.6], into: &h), .prediction)
        XCTAssertEqual(h.outputs.count, 1)
        let o = h.outputs[0]
        // (0.2+0.6+0.1)/3 = 0.3, (0.3·3)/3 = 0.3, (0.5+0.1+0.6)/3 = 0.4
        XCTAssertEqual(o.probabilities[0], 0.3, accuracy: 1e-15)
        XCTAssertEqual(o.probabilities[1], 0.3, accuracy: 1e-15)
        XCTAssertEqual(o.probabilities[2], 0.4, accuracy: 1e-15)
        XCTAssertEqual(o.predictedClass, 2)
        XCTAssertEqual(o.completion, .complete)
        XCTAssertEqual(o.presentMask, 0b111)
        XCTAssertEqual(p.pendingRows, 0)
    }

    func testDuplicateAndLateMessagesAreRejectedWithoutTouchingTheRow() throws {
        let p = try makePipeline()
        var h = OutputRecorder()
        p.predict("a", [0.2, 0.3, 0.5], into: &h)
        XCTAssertEqual(p.predict("a", [0.9, 0.05, 0.05], into: &h), .rejected(WireRejection(.duplicate, "this model's vector for this row was already received")))
        p.predict("b", [0.2, 0.3, 0.5], into: &h)
        p.predict("c", [0.2, 0.3, 0.5], into: &h)
        XCTAssertEqual(h.outputs.count, 1)
        // The duplicate's 0.9 never reached the row: all three vectors were [0.2, 0.3, 0.5].
        for (got, want) in zip(h.outputs[0].probabilities, [0.2, 0.3, 0.5]) { XCTAssertEqual(got, want, accuracy: 1e-15) }
        // The row is emitted, so the same event time is now behind the watermark...
        guard case .rejected(let r) = p.predict("a", ts: 100, [0.2, 0.3, 0.5], into: &h) else { return XCTFail() }
        XCTAssertEqual(r.reason, .late)
        // ...and so is an older one, while a newer one and another symbol are fine.
        guard case .rejected(let r2) = p.predict("a", ts: 99, [0.2, 0.3, 0.5], into: &h) else { return XCTFail() }
        XCTAssertEqual(r2.reason, .late)
        XCTAssertEqual(p.predict("a", ts: 101, [0.2, 0.3, 0.5], into: &h), .prediction)
        XCTAssertEqual(p.predict("a", symbol: "QQQ", ts: 50, [0.2, 0.3, 0.5], into: &h), .prediction)
        XCTAssertEqual(p.counters.rejected(.duplicate), 1)
        XCTAssertEqual(p.counters.rejected(.late), 2)
    }

    func testDeadlineEmitsPartialRowWithMissingModelImputedAndVisible() throws {
        let p = try makePipeline(deadline: 1_000, minModels: 2)
        var h = OutputRecorder()
        p.predict("a", [0.2, 0.3, 0.5], at: 10, into: &h)
        p.predict("c", [0.4, 0.3, 0.3], at: 20, into: &h)
        p.advance(to: 1_009, handler: &h)
        XCTAssertTrue(h.outputs.isEmpty, "deadline is first arrival (10) + 1000")
        p.advance(to: 1_010, handler: &h)
        XCTAssertEqual(h.outputs.count, 1)
        let o = h.outputs[0]
        XCTAssertEqual(o.completion, .deadline)
        XCTAssertEqual(o.presentMask, 0b101, "model b (bit 1) is missing")
        // b is imputed with the mean of a and c: [0.3, 0.3, 0.4]; the average is the same.
        XCTAssertEqual(Array(o.base[3..<6]), [0.30000000000000004, 0.3, 0.4])
        XCTAssertEqual(o.probabilities[0], 0.3, accuracy: 1e-15)
        XCTAssertEqual(o.probabilities[2], 0.4, accuracy: 1e-15)
        // Cross-model features count present models only: a predicts long (conf .5),
        // c predicts short (conf .4) → all_agree 0, agree_count 1, avg_conf .45, spread .1.
        let c0 = 9 + 12
        XCTAssertEqual(o.features[c0], 0)
        XCTAssertEqual(o.features[c0 + 2], 1)
        XCTAssertEqual(o.features[c0 + 3], 0.45, accuracy: 1e-15)
        XCTAssertEqual(o.features[c0 + 4], 0.1, accuracy: 1e-15)
        // Majority tie (1 vote long, 1 vote short): mean p_long .4 > mean p_short .3 → long (+1).
        XCTAssertEqual(o.features[c0 + 1], 1)
    }

    func testRowBelowMinModelsIsDroppedAtDeadlineAndCounted() throws {
        let p = try makePipeline(deadline: 100, minModels: 2)
        var h = OutputRecorder()
        p.predict("a", [0.2, 0.3, 0.5], at: 0, into: &h)
        p.advance(to: 100, handler: &h)
        XCTAssertTrue(h.outputs.isEmpty)
        XCTAssertEqual(p.counters.rowsDropped[Int(RowCompletion.deadline.rawValue)], 1)
        XCTAssertEqual(p.pendingRows, 0)
    }

    func testFullAssemblyEvictsTheOldestRow() throws {
        let p = try makePipeline(deadline: 1_000_000, maxPending: 2)
        var h = OutputRecorder()
        p.predict("a", ts: 1, [0.2, 0.3, 0.5], into: &h)
        p.predict("a", ts: 2, [0.2, 0.3, 0.5], into: &h)
        p.predict("a", ts: 3, [0.2, 0.3, 0.5], into: &h)
        XCTAssertEqual(h.outputs.map(\.eventTime), [1])
        XCTAssertEqual(h.outputs[0].completion, .evicted)
        XCTAssertEqual(p.pendingRows, 2)
        p.drain(handler: &h)
        XCTAssertEqual(h.outputs.map(\.eventTime), [1, 2, 3])
        XCTAssertEqual(h.outputs.map(\.completion), [.evicted, .drained, .drained])
        XCTAssertEqual(h.outputs.map(\.sequence), [0, 1, 2], "per-horizon output sequence")
    }

    func testMajorityTieBrokenByMeanProbabilityThenLowestIndex() throws {
        // Two models: a says short (0.5), b says long (0.5). Votes tie; mean probabilities
        // short (0.5+0.2)/2 = 0.35, long (0.3+0.5)/2 = 0.4 → long wins on mean probability.
        let p = try makePipeline(models: ["a", "b"])
        var h = OutputRecorder()
        p.predict("a", [0.5, 0.2, 0.3], into: &h)
        p.predict("b", [0.2, 0.3, 0.5], into: &h)
        XCTAssertEqual(h.outputs[0].features[6 + 8 + 1], 1)
        // Exact tie on votes and means: a short, b long with mirrored vectors → lowest index (short, −1).
        p.predict("a", ts: 200, [0.5, 0.2, 0.3], into: &h)
        p.predict("b", ts: 200, [0.3, 0.2, 0.5], into: &h)
        XCTAssertEqual(h.outputs[1].features[6 + 8 + 1], -1)
        XCTAssertEqual(h.outputs[1].features[6 + 8 + 2], 1, "agree_count counts votes for the majority")
    }
}
