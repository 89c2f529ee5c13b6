import Foundation
import StackdCore
import StackdTestSupport
import XCTest

/// How a regime joins its rows (`schemas/wire.md` §7): one more slot of every horizon's row for
/// its (symbol, event time); a row is `complete` only with every model and its regime; at the
/// deadline a missing regime reads as 0 and is counted; a regime after its rows left is `late`.
final class RegimeJoinTests: XCTestCase {
    let a: [Double] = [0.2, 0.3, 0.5], b: [Double] = [0.5, 0.25, 0.25]

    func makePipeline(deadline: Int64 = 1_000) throws -> StackingPipeline {
        var c = PipelineConfiguration(models: ["a", "b"], horizons: [5, 10], deadlineNanoseconds: deadline)
        c.regimeNames = ["vol_regime", "trend_regime"]
        return try StackingPipeline(configuration: c)
    }

    @discardableResult
    func regime(_ p: StackingPipeline, ts: Int64 = 100, seq: UInt64 = 1, _ values: [Int8], at time: Int64 = 0,
                into h: inout OutputRecorder) -> IngestOutcome {
        p.feed(WireEncoder.binaryRegime(symbol: "SPX", eventTime: ts, sequence: seq, values: values), topic: "regime.SPX",
               at: time, into: &h)
    }

    /// The ext+regime row of a = [0.2, 0.3, 0.5], b = [0.5, 0.25, 0.25], regimes (−1, +1), by hand:
    /// conf = max p; entropy = −Σ p ln p; margin = top1 − top2; pred ∈ {−1, 0, 1}; a votes long, b
    /// short, the tie goes to the higher mean probability (long 0.375 > short 0.35).
    static let expectedRow: [Double] = [
        0.2, 0.3, 0.5, 0.5, 0.25, 0.25,
        0.5, 0.2 * log(5.0) + 0.3 * log(1 / 0.3) + 0.5 * log(2.0), 0.2, 1,
        0.5, 0.5 * log(2.0) + 0.5 * log(4.0), 0.25, -1,
        0, 1, 1, 0.5, 0,
        -1, 1,
    ]

    func testFeaturesOfAJoinedRowMatchTheHandComputedExtRegimeRow() throws {
        let p = try makePipeline()
        var h = OutputRecorder()
        XCTAssertEqual(p.layout.names.suffix(2), ["vol_regime", "trend_regime"])
        XCTAssertEqual(p.layout.count, 21)
        XCTAssertEqual(regime(p, [-1, 1], into: &h), .regime)
        p.predict("a", horizon: 5, a, into: &h)
        XCTAssertTrue(h.outputs.isEmpty)
        p.predict("b", horizon: 5, b, into: &h)
        XCTAssertEqual(h.outputs.count, 1)
        let out = try XCTUnwrap(h.outputs.first)
        XCTAssertEqual(out.completion, .complete)
        XCTAssertEqual(out.features.count, Self.expectedRow.count)
        for (i, (got, want)) in zip(out.features, Self.expectedRow).enumerated() {
            XCTAssertEqual(got, want, accuracy: 1e-12, "feature \(i) \(p.layout.names[i])")
        }
        XCTAssertEqual(p.counters.rowsWithoutRegime, 0)
    }

    func testARowWaitsForItsRegimeAndCompletesWhenItArrives() throws {
        let p = try makePipeline()
        var h = OutputRecorder()
        p.predict("a", horizon: 5, a, into: &h)
        p.predict("b", horizon: 5, b, into: &h)
        XCTAssertTrue(h.outputs.isEmpty, "every model is in, the regime is not: the row waits")
        p.predict("a", horizon: 10, a, into: &h)
        XCTAssertEqual(regime(p, [1, 0], into: &h), .regime)
        XCTAssertEqual(h.outputs.count, 1, "h5 completes; h10 still misses b")
        XCTAssertEqual(h.outputs[0].horizon, 5)
        XCTAssertEqual(h.outputs[0].completion, .complete)
        XCTAssertEqual(Array(h.outputs[0].features.suffix(2)), [1, 0])
        p.predict("b", horizon: 10, b, into: &h)
        XCTAssertEqual(h.outputs.count, 2)
        XCTAssertEqual(h.outputs[1].horizon, 10)
        XCTAssertEqual(Array(h.outputs[1].features.suffix(2)), [1, 0], "one regime message serves every horizon")
        XCTAssertEqual(p.counters.regimesAccepted, 1)
    }

    func testAMissingRegimeIsImputedAsZeroAtTheDeadlineAndCounted() throws {
        let p = try makePipeline()
        var h = OutputRecorder()
        p.predict("a", horizon: 5, a, at: 0, into: &h)
        p.predict("b", horizon: 5, b, at: 10, into: &h)
        p.advance(to: 999, handler: &h)
        XCTAssertTrue(h.outputs.isEmpty)
        p.advance(to: 1_000, handler: &h)
        XCTAssertEqual(h.outputs.count, 1)
        let out = h.outputs[0]
        XCTAssertEqual(out.completion, .deadline)
        XCTAssertEqual(out.presentMask, 0b11)
        var expected = Self.expectedRow
        expected[19] = 0
        expected[20] = 0
        for (i, (got, want)) in zip(out.features, expected).enumerated() {
            XCTAssertEqual(got, want, accuracy: 1e-12, "feature \(i)")
        }
        XCTAssertEqual(p.counters.rowsWithoutRegime, 1)
        XCTAssertEqual(p.counters.rowsDropped.reduce(0, +), 0)
    }

    func testARegimeAfterItsRowsLeftIsLateAndADuplicateIsRefused() throws {
        let p = try makePipeline()
        var h = OutputRecorder()
        XCTAssertEqual(regime(p, [1, 1], into: &h), .regime)
        if case .rejected(let r) = regime(p, seq: 2, [1, 1], into: &h) { XCTAssertEqual(r.reason, .duplicate) } else { XCTFail("accepted twice") }
        for hz in [5, 10] {
            p.predict("a", horizon: hz, a, into: &h)
            p.predict("b", horizon: hz, b, into: &h)
        }
        XCTAssertEqual(h.outputs.count, 2)
        guard case .rejected(let late) = regime(p, seq: 3, [0, 0], into: &h) else { return XCTFail("a late regime was accepted") }
        XCTAssertEqual(late.reason, .late)
        XCTAssertEqual(p.counters.rejected(.late), 1)
        XCTAssertEqual(p.counters.rejected(.duplicate), 1)
        XCTAssertEqual(p.counters.regimesAccepted, 1)
    }

    func testARegimeLateForOneHorizonStillJoinsTheOtherOne() throws {
        let p = try makePipeline()
        var h = OutputRecorder()
        p.predict("a", horizon: 5, a, at: 0, into: &h)
        p.advance(to: 1_000, handler: &h)            // h5 row leaves without its regime
        XCTAssertEqual(h.outputs.count, 1)
        p.predict("a", horizon: 10, a, at: 1_000, into: &h)
        XCTAssertEqual(regime(p, [-1, -1], at: 1_001, into: &h), .regime)
        p.predict("b", horizon: 10, b, at: 1_002, into: &h)
        XCTAssertEqual(h.outputs.count, 2)
        XCTAssertEqual(h.outputs[1].horizon, 10)
        XCTAssertEqual(h.outputs[1].completion, .complete)
        XCTAssertEqual(Array(h.outputs[1].features.suffix(2)), [-1, -1])
        XCTAssertEqual(p.counters.rejected(.late), 0)
    }

    func testARegimeNoModelJoinsIsCountedAsUnusedNotAsADroppedRow() throws {
        let p = try makePipeline()
        var h = OutputRecorder()
        XCTAssertEqual(regime(p, ts: 500, [1, 1], at: 0, into: &h), .regime)
        XCTAssertEqual(p.pendingRows, 2, "one row per horizon, waiting for models")
        p.advance(to: 1_000, handler: &h)
        XCTAssertTrue(h.outputs.isEmpty)
        XCTAssertEqual(p.pendingRows, 0)
        XCTAssertEqual(p.counters.regimesUnused, 2)
        XCTAssertEqual(p.counters.rowsDropped.reduce(0, +), 0)
    }

    func testRegimeSequenceGapsAreCountedOnTheirOwnStream() throws {
        let p = try makePipeline()
        var h = OutputRecorder()
        regime(p, ts: 100, seq: 1, [0, 0], into: &h)
        regime(p, ts: 200, seq: 4, [0, 0], into: &h)
        XCTAssertEqual(p.counters.regimeMessagesMissed, 2)
        XCTAssertEqual(p.counters.labelMessagesMissed, 0)
        XCTAssertEqual(p.counters.sequenceGaps, 0)
    }

    func testAnOutputSaysWhenItsRegimeWasImputed() throws {
        let p = try makePipeline()
        var h = OutputRecorder(encoding: .init(modelNames: ["a", "b"]))
        func feed(_ bytes: [UInt8], _ topic: String, at time: Int64) {
            var t = Array(topic.utf8), b = bytes
            _ = t.withUnsafeMutableBytes { tb in
                b.withUnsafeMutableBytes { pb in
                    p.ingest(topic: UnsafeRawBufferPointer(tb), payload: UnsafeRawBufferPointer(pb), receivedAt: time, handler: &h)
                }
            }
        }
        // ts 100: both models and the regime; ts 200: both models, no regime (deadline).
        feed(WireEncoder.binaryRegime(symbol: "SPX", eventTime: 100, sequence: 1, values: [1, 1]), "regime.SPX", at: 0)
        for ts: Int64 in [100, 200] {
            feed(WireEncoder.binaryPrediction(model: "a", symbol: "SPX", horizon: 5, eventTime: ts, sequence: 1, probabilities: a), "pred.SPX.5.a", at: 0)
            feed(WireEncoder.binaryPrediction(model: "b", symbol: "SPX", horizon: 5, eventTime: ts, sequence: 1, probabilities: b), "pred.SPX.5.b", at: 0)
        }
        p.advance(to: 1_000, handler: &h)
        XCTAssertEqual(h.binary.count, 2, "the two h5 rows; the h10 row only the regime opened is not emitted")
        XCTAssertEqual(p.counters.regimesUnused, 1)
        let h5 = zip(h.binary, h.json).filter { $0.1.contains("\"horizon\":5,") }
        XCTAssertEqual(h5.count, 2)
        XCTAssertEqual(h5[0].0[51], 0, "regime present: flags 0")
        XCTAssertTrue(h5[0].1.hasSuffix(",\"regime_imputed\":false}"), h5[0].1)
        XCTAssertEqual(h5[1].0[51], WireFormat.ensembleFlagRegimeImputed, "regime missing: flags bit 0")
        XCTAssertTrue(h5[1].1.hasSuffix(",\"regime_imputed\":true}"), h5[1].1)
    }
}
