import StackdCore
import StackdTestSupport
import XCTest

/// Publisher sequence numbers → messages missed per model (`schemas/wire.md` §6.3), with the
/// expected counts worked out by hand from the numbers sent.
final class SequenceTrackingTests: XCTestCase {
    let probs = [0.2, 0.3, 0.5]

    func testMissedMessagesAreTheSumOfJumpsPerModel() throws {
        let p = try makePipeline(models: ["a", "b", "c"])
        var h = OutputRecorder()
        // a: 1, 2, 5 (3 and 4 missed), 9 (6, 7, 8 missed) → 5 missed in 2 gaps. b: 10, 11 → none.
        for (i, seq) in [1, 2, 5, 9].enumerated() { p.predict("a", ts: Int64(100 + i), seq: UInt64(seq), probs, into: &h) }
        for (i, seq) in [10, 11].enumerated() { p.predict("b", ts: Int64(100 + i), seq: UInt64(seq), probs, into: &h) }
        XCTAssertEqual(p.counters.inputMessagesMissed, [5, 0, 0])
        XCTAssertEqual(p.counters.sequenceGaps, 2)
        XCTAssertEqual(p.counters.totalRejected, 0)
    }

    /// A refused message reached stackd: it is counted under its reason, never also as missed.
    func testRefusedPredictionsAdvanceTheirModelsSequence() throws {
        let p = try makePipeline(models: ["a"])
        var h = OutputRecorder()
        p.predict("a", ts: 100, seq: 1, probs, into: &h)
        XCTAssertEqual(reason(p.predict("a", ts: 101, seq: 2, [0.3, 0.3, 0.3], into: &h)), .badSum)
        let wrongTopic = WireEncoder.binaryPrediction(model: "a", symbol: "SPX", horizon: 5, eventTime: 102, sequence: 3, probabilities: probs)
        XCTAssertEqual(reason(p.feed(wrongTopic, topic: "pred.SPX.10.a", into: &h)), .topicMismatch)
        XCTAssertEqual(reason(p.predict("a", horizon: 7, ts: 103, seq: 4, probs, into: &h)), .unknownHorizon)
        XCTAssertEqual(reason(p.predict("a", ts: 100, seq: 5, probs, into: &h)), .late, "row 100 was emitted at once (one model)")
        XCTAssertEqual(p.predict("a", ts: 104, seq: 6, probs, into: &h), .prediction)
        XCTAssertEqual(p.counters.inputMessagesMissed, [0])
        XCTAssertEqual(p.counters.sequenceGaps, 0)
        XCTAssertEqual(p.counters.totalRejected, 4)
    }

    func testFirstNumberIsTheBaselineEvenWhenZero() throws {
        let p = try makePipeline(models: ["a"])
        var h = OutputRecorder()
        p.predict("a", ts: 100, seq: 0, probs, into: &h)
        p.predict("a", ts: 101, seq: 3, probs, into: &h)   // 1 and 2 missed
        XCTAssertEqual(p.counters.inputMessagesMissed, [2])
        let q = try makePipeline(models: ["a"])
        q.predict("a", ts: 100, seq: 500, probs, into: &h)   // joining a running publisher: nothing missed
        XCTAssertEqual(q.counters.inputMessagesMissed, [0])
    }

    /// A lower number is a publisher restart: tracking resumes from it at once.
    func testRestartBecomesTheNewBaseline() throws {
        let p = try makePipeline(models: ["a"])
        var h = OutputRecorder()
        for (i, seq) in [100, 101, 1, 2, 4, 4].enumerated() { p.predict("a", ts: Int64(100 + i), seq: UInt64(seq), probs, into: &h) }
        XCTAssertEqual(p.counters.inputMessagesMissed, [1], "only 3 is missing; the restart and the repeat count nothing")
        XCTAssertEqual(p.counters.sequenceGaps, 1)
    }

    func testAHugeJumpSaturatesInsteadOfTrapping() throws {
        let p = try makePipeline(models: ["a"])
        var h = OutputRecorder()
        p.predict("a", ts: 100, seq: 1, probs, into: &h)
        p.predict("a", ts: 101, seq: .max, probs, into: &h)
        XCTAssertEqual(p.counters.inputMessagesMissed, [UInt64.max - 2])
        p.predict("a", ts: 102, seq: 1, probs, into: &h)
        p.predict("a", ts: 103, seq: 4, probs, into: &h)
        XCTAssertEqual(p.counters.inputMessagesMissed, [UInt64.max])
    }

    func testLabelsShareOneSequence() throws {
        let p = try makePipeline(models: ["a"])
        var h = OutputRecorder()
        p.predict("a", ts: 100, seq: 1, probs, into: &h)
        for (i, seq) in [1, 2, 6].enumerated() {   // 3, 4, 5 missed
            let label = WireEncoder.binaryLabel(symbol: "SPX", horizon: 5, eventTime: Int64(100 + i), sequence: UInt64(seq),
                                                classIndex: 9, classCount: 0, forwardReturn: 0, exitTime: 0)
            XCTAssertEqual(reason(p.feed(label, topic: "label.SPX.5", into: &h)), .badLabel, "refused labels are tracked too")
        }
        XCTAssertEqual(p.counters.labelMessagesMissed, 3)
        XCTAssertEqual(p.counters.inputMessagesMissed, [0])
        XCTAssertEqual(p.counters.sequenceGaps, 0, "the gap-event counter is about predictions")
    }

    func testTrackerAlone() {
        var t = SequenceTracker(streamCount: 2)
        XCTAssertEqual(t.observe(stream: 0, sequence: 7), 0)
        XCTAssertEqual(t.observe(stream: 1, sequence: 1), 0)
        XCTAssertEqual(t.observe(stream: 0, sequence: 10), 2)
        XCTAssertEqual(t.observe(stream: 0, sequence: 10), 0)
        XCTAssertEqual(t.observe(stream: 0, sequence: 11), 0)
        XCTAssertEqual(t.observe(stream: 1, sequence: 3), 1)
        XCTAssertEqual(t.observe(stream: 0, sequence: UInt64.max), UInt64.max - 12)
    }

    private func reason(_ o: IngestOutcome) -> RejectReason? {
        if case .rejected(let r) = o { return r.reason }
        return nil
    }
}
