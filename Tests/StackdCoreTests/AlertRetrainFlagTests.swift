import StackdCore
import StackdTestSupport
import XCTest

/// `triggers_retrain` on a delivered alert says whether THIS alert asked for a retrain: true
/// exactly for the alerts a training request followed, false for alerts of an eligible kind that
/// the rate limit (or configuration) held back.
final class AlertRetrainFlagTests: XCTestCase {
    /// Model "a" is sharp and right until row 3000, then confidently wrong: drift alarms fire
    /// repeatedly, more often than the 200-label rate limit lets them retrain.
    func run(driftRetrainMinLabels: Int) throws -> (OutputRecorder, PipelineCounters) {
        let p = try StackingPipeline(configuration: PipelineConfiguration(models: ["a", "b"], horizons: [5]),
                                     retrainPolicy: RetrainPolicy(everyLabels: 1_000_000, minRows: 100),
                                     monitoring: true, driftRetrainMinLabels: driftRetrainMinLabels)
        var h = OutputRecorder()
        var rng = SplitMix64(seed: 42)
        func uniform() -> Double { rng.uniform() }
        for i in 0..<5000 {
            let truth = Int(uniform() * 3)
            var a = [0.1, 0.1, 0.1]
            a[i < 3000 ? truth : (truth + 1) % 3] = 0.8
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
        return (h, p.counters)
    }

    func testFlagSaysWhetherThisAlertRequestedARetrain() throws {
        let (h, counters) = try run(driftRetrainMinLabels: 200)
        XCTAssertGreaterThan(counters.driftRetrains, 0)
        XCTAssertEqual(h.alerts.map(\.alert.triggersRetrain), h.alerts.map(\.followedByRequest))
        XCTAssertEqual(h.alerts.map(\.alert).filter(\.triggersRetrain).count, counters.driftRetrains)
        let eligible: Set<AlertKind> = [.psiDrift, .errorDriftADWIN, .errorDriftPageHinkley, .calibration]
        XCTAssertTrue(h.alerts.map(\.alert).contains { eligible.contains($0.kind) && !$0.triggersRetrain },
                      "some alert of a retrain-eligible kind was rate-limited, so the flag is not just the kind")
        XCTAssertTrue(h.alerts.map(\.alert).filter { $0.kind == .skillDecay }.allSatisfy { !$0.triggersRetrain })
    }

    func testNoAlertClaimsARetrainWhenRetrainOnAlertIsOff() throws {
        let (h, counters) = try run(driftRetrainMinLabels: .max)
        XCTAssertFalse(h.alerts.isEmpty)
        XCTAssertEqual(counters.driftRetrains, 0)
        XCTAssertTrue(h.alerts.allSatisfy { !$0.alert.triggersRetrain })
        XCTAssertTrue(h.alerts.first!.alert.json.hasSuffix(#""triggers_retrain":false}"#))
    }
}
