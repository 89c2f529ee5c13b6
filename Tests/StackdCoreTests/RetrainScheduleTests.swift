import StackdCore
import StackdTestSupport
import XCTest

/// A combiner with a fixed answer, to see exactly which rows a new model applies to.
final class ConstantCombiner: MetaCombiner {
    let method = CombinationMethod.logistic
    let version: UInt32
    let answer: [Double]
    init(version: UInt32, answer: [Double]) { self.version = version; self.answer = answer }
    func combine(basePredictions: UnsafeBufferPointer<Double>, features: UnsafeBufferPointer<Double>,
                 presentMask: UInt64, into out: UnsafeMutableBufferPointer<Double>) {
        for c in 0..<answer.count { out[c] = answer[c] }
    }
}

final class RetrainScheduleTests: XCTestCase {
    func pipeline(_ policy: RetrainPolicy) throws -> StackingPipeline {
        try StackingPipeline(configuration: PipelineConfiguration(models: ["a", "b"], horizons: [5]), retrainPolicy: policy)
    }

    func row(_ p: StackingPipeline, ts: Int64, symbol: String = "SPX", _ h: inout OutputRecorder) {
        for (m, v) in [("a", [0.2, 0.3, 0.5]), ("b", [0.5, 0.3, 0.2])] {
            let bytes = WireEncoder.binaryPrediction(model: m, symbol: symbol, horizon: 5, eventTime: ts, sequence: 1, probabilities: v)
            var b = bytes
            _ = b.withUnsafeMutableBytes { p.ingest(topic: nil, payload: UnsafeRawBufferPointer($0), receivedAt: 0, handler: &h) }
        }
    }

    func label(_ p: StackingPipeline, ts: Int64, _ c: Int, exit: Int64 = 0, _ h: inout OutputRecorder) {
        var b = WireEncoder.binaryLabel(symbol: "SPX", horizon: 5, eventTime: ts, sequence: 1, classIndex: c, classCount: 3,
                                        forwardReturn: 0.01 * Double(c - 1), exitTime: exit)
        _ = b.withUnsafeMutableBytes { p.ingest(topic: nil, payload: UnsafeRawBufferPointer($0), receivedAt: 0, handler: &h) }
    }

    func testEveryNLabelsTriggersARetrainOnExactlyTheLabelledRows() throws {
        let p = try pipeline(RetrainPolicy(everyLabels: 3, minRows: 2))
        var h = OutputRecorder()
        for ts in 1...5 { row(p, ts: Int64(ts), &h) }
        label(p, ts: 1, 2, &h)
        label(p, ts: 2, 0, &h)
        XCTAssertTrue(h.requests.isEmpty)
        label(p, ts: 3, 1, exit: 4, &h)
        XCTAssertEqual(h.requests.count, 1)
        let r = h.requests[0]
        XCTAssertEqual(r.triggerEventTime, 5, "the event clock: newest prediction event time")
        XCTAssertEqual(r.applyFrom, 6, "strictly after the trigger's event time")
        XCTAssertEqual(r.rows.count, 3)
        XCTAssertEqual(r.rows.labels, [2, 0, 1])
        XCTAssertEqual(r.rows.eventTimes, [1, 2, 3])
        XCTAssertEqual(r.rows.exitTimes, [5, 5, 4], "without exit_ts the event clock stands in")
        XCTAssertEqual(r.rows.features.count, 3 * p.layout.count)
        // The features kept are the ones the row was emitted with: a's conf is 0.5, b's 0.5 …
        XCTAssertEqual(Array(r.rows.features[0..<6]), [0.2, 0.3, 0.5, 0.5, 0.3, 0.2])
        XCTAssertEqual(h.labeled.map(\.eventTime), [1, 2, 3])
        XCTAssertEqual(p.counters.retrainsTriggered, 1)
        XCTAssertTrue(r.champion is AveragingCombiner)
    }

    func testOfferedModelAppliesFromItsEventTimeAndLateOffersAreCounted() throws {
        let p = try pipeline(.disabled)
        var h = OutputRecorder()
        row(p, ts: 1, &h)
        XCTAssertTrue(p.offer(ConstantCombiner(version: 7, answer: [0, 0, 1]), forHorizonIndex: 0, applyFrom: 3))
        row(p, ts: 2, &h)
        row(p, ts: 3, &h)
        row(p, ts: 4, &h)
        XCTAssertEqual(h.outputs.map(\.modelVersion), [0, 0, 7, 7])
        XCTAssertEqual(h.outputs[2].method, .logistic)
        XCTAssertEqual(h.outputs[2].probabilities, [0, 0, 1])
        // Offered after a row at its apply time was emitted: applies from the next row, counted as late.
        XCTAssertFalse(p.offer(ConstantCombiner(version: 8, answer: [1, 0, 0]), forHorizonIndex: 0, applyFrom: 4))
        row(p, ts: 5, &h)
        XCTAssertEqual(h.outputs.last?.modelVersion, 8)
        XCTAssertEqual(p.counters.modelInstalls, 2)
        XCTAssertEqual(p.counters.lateModelInstalls, 1)
    }

    func testEventTimeScheduleAndWindowBounds() throws {
        let p = try pipeline(RetrainPolicy(everyEventTime: 10, minRows: 1, windowRows: 4))
        var h = OutputRecorder()
        for ts in 1...30 { row(p, ts: Int64(ts), &h) }
        for ts in 1...30 { label(p, ts: Int64(ts), 1, &h) }
        // The first label triggers (no previous trigger); the clock never moves after that (all
        // predictions came first), so no second trigger.
        XCTAssertEqual(h.requests.count, 1)
        XCTAssertEqual(p.windowSnapshot(horizonIndex: 0).eventTimes, [27, 28, 29, 30], "window keeps the newest 4 rows")
        row(p, ts: 45, &h)
        label(p, ts: 30, 1, &h)   // already labelled: unmatched, no trigger
        XCTAssertEqual(h.requests.count, 1)
        row(p, ts: 46, &h)
        label(p, ts: 45, 1, &h)
        XCTAssertEqual(h.requests.count, 2, "clock moved 46 − 30 ≥ 10")
        XCTAssertEqual(h.requests[1].rows.eventTimes, [28, 29, 30, 45])
    }
}

final class RecentSkillFeatureTests: XCTestCase {
    func testRecentSkillFeaturesAreCausalRollingLogLosses() throws {
        var config = PipelineConfiguration(models: ["a", "b"], horizons: [5])
        config.skillWindow = 2
        let p = try StackingPipeline(configuration: config)
        XCTAssertEqual(p.layout.names.suffix(2), ["a_recent_log_loss", "b_recent_log_loss"])
        XCTAssertEqual(p.layout.count, 6 + 8 + 5 + 2)
        var features: [[Double]] = []
        var c = OutputRecorder()
        func row(_ ts: Int64, _ a: [Double], _ b: [Double]) {
            for (m, v) in [("a", a), ("b", b)] {
                var bytes = WireEncoder.binaryPrediction(model: m, symbol: "SPX", horizon: 5, eventTime: ts, sequence: 0, probabilities: v)
                _ = bytes.withUnsafeMutableBytes { p.ingest(topic: nil, payload: UnsafeRawBufferPointer($0), receivedAt: 0, handler: &c) }
            }
        }
        func label(_ ts: Int64, _ k: Int) {
            var bytes = WireEncoder.binaryLabel(symbol: "SPX", horizon: 5, eventTime: ts, sequence: 0, classIndex: k, classCount: 3,
                                                forwardReturn: 0, exitTime: ts)
            _ = bytes.withUnsafeMutableBytes { p.ingest(topic: nil, payload: UnsafeRawBufferPointer($0), receivedAt: 0, handler: &c) }
        }
        row(1, [0.1, 0.1, 0.8], [0.5, 0.25, 0.25])
        label(1, 2)                                       // a: −ln 0.8, b: −ln 0.25
        row(2, [0.2, 0.6, 0.2], [0.25, 0.5, 0.25])
        label(2, 1)                                       // a: −ln 0.6, b: −ln 0.5
        row(3, [0.2, 0.6, 0.2], [0.25, 0.5, 0.25])
        label(3, 0)                                       // a: −ln 0.2, b: −ln 0.25 (row 1 leaves the window of 2)
        row(4, [0.2, 0.6, 0.2], [0.25, 0.5, 0.25])
        features = c.outputs.map { Array($0.features.suffix(2)) }
        XCTAssertEqual(features[0], [log(3), log(3)], "no label yet: ln K")
        XCTAssertEqual(features[1][0], -log(0.8), accuracy: 1e-12)
        XCTAssertEqual(features[1][1], -log(0.25), accuracy: 1e-12)
        XCTAssertEqual(features[2][0], (-log(0.8) - log(0.6)) / 2, accuracy: 1e-12)
        XCTAssertEqual(features[3][0], (-log(0.6) - log(0.2)) / 2, accuracy: 1e-12)
        XCTAssertEqual(features[3][1], (-log(0.5) - log(0.25)) / 2, accuracy: 1e-12)
    }
}
