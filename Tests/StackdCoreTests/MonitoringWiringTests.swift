import StackdCore
import StackdTestSupport
import XCTest

/// The drift monitors as wired into the pipeline: a base model that degrades at a known row
/// raises an alert through the output handler, naming the model, and none fires before it.
final class MonitoringWiringTests: XCTestCase {
    func testDegradingModelRaisesSkillAlertThroughTheHandler() throws {
        let p = try StackingPipeline(configuration: PipelineConfiguration(models: ["a", "b"], horizons: [5]),
                                     retrainPolicy: RetrainPolicy(everyLabels: 1_000_000, minRows: 100),
                                     monitoring: true, driftRetrainMinLabels: 200)
        var h = OutputRecorder()
        var rng = SplitMix64(seed: 42)
        func uniform() -> Double { rng.uniform() }
        let breakAt = 3000
        for i in 0..<5000 {
            h.mark = i
            let truth = Int(uniform() * 3)
            // a: sharp and right until `breakAt`, then confidently wrong; b: weak throughout.
            var a = [0.1, 0.1, 0.1]
            a[i < breakAt ? truth : (truth + 1) % 3] = 0.8
            var b = [0.3, 0.3, 0.3]
            b[truth] = 0.4
            for (m, v) in [("a", a), ("b", b)] {
                var bytes = WireEncoder.binaryPrediction(model: m, symbol: "SPX", horizon: 5, eventTime: Int64(i + 1), sequence: 0, probabilities: v)
                _ = bytes.withUnsafeMutableBytes { p.ingest(topic: nil, payload: UnsafeRawBufferPointer($0), receivedAt: 0, handler: &h) }
            }
            var label = WireEncoder.binaryLabel(symbol: "SPX", horizon: 5, eventTime: Int64(i + 1), sequence: 0, classIndex: truth,
                                                classCount: 3, forwardReturn: 0, exitTime: Int64(i + 1))
            _ = label.withUnsafeMutableBytes { p.ingest(topic: nil, payload: UnsafeRawBufferPointer($0), receivedAt: 0, handler: &h) }
        }
        XCTAssertTrue(h.alerts.filter { $0.mark < breakAt && $0.alert.kind != .calibration }.isEmpty,
                      "no drift alarm before the break: \(h.alerts.filter { $0.mark < breakAt }.map { "\($0.mark) \($0.alert.kind)" })")
        let skill = try XCTUnwrap(h.alerts.first { $0.alert.kind == .skillDecay }, "skill decay detected")
        XCTAssertEqual(skill.alert.model, "a")
        XCTAssertLessThan(skill.mark - breakAt, 100, "detected within 100 rows of the break (measured: \(skill.mark - breakAt))")
        let errorDrift = try XCTUnwrap(h.alerts.first { $0.alert.kind == .errorDriftADWIN || $0.alert.kind == .errorDriftPageHinkley })
        XCTAssertGreaterThanOrEqual(errorDrift.mark, breakAt)
        XCTAssertEqual(p.counters.alerts, h.alerts.count)
        // Drift alarms that call for a retrain got one (rate-limited to one per 200 labels).
        XCTAssertGreaterThan(p.counters.driftRetrains, 0)
        XCTAssertEqual(h.requests.count, p.counters.driftRetrains)
        XCTAssertNotNil(p.driftSnapshot(horizonIndex: 0))
    }

    /// A retrain's drift reference is built from its request (on the training thread) and
    /// installed when its model applies: PSI is silent before (no reference), and a base model
    /// whose vectors then shift away from the training rows is named.
    func testDriftReferenceFromTheRequestIsInstalledWithTheModel() throws {
        let p = try StackingPipeline(configuration: PipelineConfiguration(models: ["a", "b"], horizons: [5]),
                                     retrainPolicy: RetrainPolicy(everyLabels: 1_000_000, minRows: 100),
                                     monitoring: true)
        var h = OutputRecorder()
        var rng = SplitMix64(seed: 7)
        func uniform() -> Double { rng.uniform() }
        func feed(rows: Range<Int>, aShifted: Bool) {
            for i in rows {
                h.mark = i
                let truth = Int(uniform() * 3)
                // a: P(class 0) uniform on [0.1, 0.5] before the shift, on [0.6, 0.9] after.
                let p0 = aShifted ? 0.6 + 0.3 * uniform() : 0.1 + 0.4 * uniform()
                let a = [p0, (1 - p0) / 2, (1 - p0) / 2]
                let q = 0.2 + 0.4 * uniform()
                let b = [q, (1 - q) / 2, (1 - q) / 2]
                for (m, v) in [("a", a), ("b", b)] {
                    var bytes = WireEncoder.binaryPrediction(model: m, symbol: "SPX", horizon: 5, eventTime: Int64(i + 1), sequence: 0,
                                                             probabilities: v)
                    _ = bytes.withUnsafeMutableBytes { p.ingest(topic: nil, payload: UnsafeRawBufferPointer($0), receivedAt: 0, handler: &h) }
                }
                var label = WireEncoder.binaryLabel(symbol: "SPX", horizon: 5, eventTime: Int64(i + 1), sequence: 0, classIndex: truth,
                                                    classCount: 3, forwardReturn: 0, exitTime: Int64(i + 1))
                _ = label.withUnsafeMutableBytes { p.ingest(topic: nil, payload: UnsafeRawBufferPointer($0), receivedAt: 0, handler: &h) }
            }
        }
        feed(rows: 0..<2000, aShifted: false)
        let request = try XCTUnwrap(p.requestTraining(horizonIndex: 0))
        XCTAssertEqual(request.rows.count, 2000)
        let reference = try XCTUnwrap(request.driftReference(), "monitoring is on: the request builds a reference")
        XCTAssertEqual(p.driftSnapshot(horizonIndex: 0)?.psiReferenceCount, [0, 0], "no reference before the model applies")
        XCTAssertTrue(p.offer(AveragingCombiner(modelCount: 2, classCount: 3), forHorizonIndex: 0, applyFrom: 2001, reference: reference))
        feed(rows: 2000..<2600, aShifted: false)
        XCTAssertEqual(p.driftSnapshot(horizonIndex: 0)?.psiReferenceCount, [2000, 2000], "installed when the model applied")
        XCTAssertTrue(h.alerts.filter { $0.alert.kind == .psiDrift }.isEmpty, "no shift, no PSI alarm")
        feed(rows: 2600..<3200, aShifted: true)
        let drift = try XCTUnwrap(h.alerts.first { $0.alert.kind == .psiDrift }, "the shift of a is detected")
        XCTAssertEqual(drift.alert.model, "a")
        XCTAssertGreaterThanOrEqual(drift.mark, 2600)
        XCTAssertFalse(h.alerts.contains { $0.alert.kind == .psiDrift && $0.alert.model == "b" })
    }
}
