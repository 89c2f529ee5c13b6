import Foundation
import XCTest
@testable import StackdCore

/// The aggregate on a seeded stream where the strongest base model (model 0) breaks at a known
/// row, and on a stationary stream of the same length.
final class MonitoringDriftMonitorTests: XCTestCase {
    static let rows = 8000, breakAt = 5000, referenceRows = 2000

    /// - Parameter scoredByScoreboard: pass each base model's log-loss and hit as the scoreboard
    ///   computes them (`ScoreAccumulator.add`), as the pipeline does, instead of letting the
    ///   monitor score the vectors itself.
    private func run(degradeAt: Int?, scoredByScoreboard: Bool = false) -> (first: [AlertKind: Int], alerts: [Alert], snapshot: DriftSnapshot) {
        var config = DriftMonitorConfiguration(horizon: 5, modelNames: ["alpha", "beta", "gamma"])
        config.psiWindow = 500
        var monitor = DriftMonitor(configuration: config)
        var scenario = DriftScenario(seed: 2024, degradeAt: degradeAt)
        var base = [Double](repeating: 0, count: 9), ensemble = [Double](repeating: 0, count: 3)
        var reference: [Double] = []
        var sink = AlertBuffer()
        var first: [AlertKind: Int] = [:]
        for row in 0..<Self.rows {
            let label = scenario.next(base: &base, ensemble: &ensemble)
            if row < Self.referenceRows { reference += base }
            if row == Self.referenceRows {
                monitor.setReference(basePredictions: reference, rowCount: Self.referenceRows)
            }
            let t = Int64(row) * 1_000_000_000
            let before = sink.alerts.count
            base.withUnsafeBufferPointer { b in
                monitor.observePrediction(base: b, presentMask: 0b111, eventTime: t, into: &sink)
                ensemble.withUnsafeBufferPointer { e in
                    if scoredByScoreboard {
                        var scorer = ScoreAccumulator()
                        var losses = [Double](), hits = [Bool]()
                        for m in 0..<3 {
                            let r = scorer.add(UnsafeBufferPointer(rebasing: b[m * 3 ..< m * 3 + 3]), label: label)
                            losses.append(r.logLoss)
                            hits.append(r.hit)
                        }
                        losses.withUnsafeBufferPointer { l in
                            hits.withUnsafeBufferPointer { h in
                                monitor.observeLabelled(ensemble: e, base: b, label: label, eventTime: t,
                                                        baseLogLosses: l, baseHits: h, into: &sink)
                            }
                        }
                    } else {
                        monitor.observeLabelled(ensemble: e, base: b, label: label, eventTime: t, into: &sink)
                    }
                }
            }
            for a in sink.alerts[before...] where first[a.kind] == nil { first[a.kind] = row }
        }
        return (first, sink.alerts, monitor.snapshot)
    }

    /// The averaged ensemble of this scenario is genuinely underconfident, so calibration alarms
    /// (at rows 999 and 2999: each time its window fills, before and after setReference) are true
    /// positives; a calibrated stream is checked in MonitoringCalibrationTests.
    func testStationaryStreamRaisesNoDriftAlert() {
        let r = run(degradeAt: nil)
        let drift = r.alerts.filter { $0.kind != .calibration }
        XCTAssertEqual(drift.map { "\($0.kind.rawValue) \($0.model ?? "-") \($0.eventTime / 1_000_000_000)" }, [])
        XCTAssertEqual(r.snapshot.alertCounts, [0, 0, 0, 0, 2])
        XCTAssertEqual(r.alerts.filter { $0.kind == .calibration }.map { $0.eventTime / 1_000_000_000 }, [999, 2999])
    }

    /// Measured delays after the break at row 5000 (seed 2024): see the assertions; the bounds are
    /// the measured values, so a change in any detector shows up here.
    func testBrokenModelIsCaughtByEveryMonitorWithinTheStatedDelay() {
        let r = run(degradeAt: Self.breakAt)
        let delays = r.first.mapValues { $0 - Self.breakAt }
        print("drift monitor delays after row \(Self.breakAt): "
              + delays.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) +\($0.value)" }.joined(separator: ", "))
        for a in r.alerts where a.kind != .calibration { XCTAssertGreaterThanOrEqual(a.eventTime / 1_000_000_000, Int64(Self.breakAt), a.message) }
        for a in r.alerts where a.kind == .psiDrift || a.kind == .skillDecay { XCTAssertEqual(a.model, "alpha", a.message) }
        // Measured: skill_decay +23, error_drift_adwin +39, psi_drift +81 (window 500),
        // error_drift_page_hinkley +273 rows.
        XCTAssertEqual(delays[.skillDecay], 23)
        XCTAssertEqual(delays[.errorDriftADWIN], 39)
        XCTAssertEqual(delays[.psiDrift], 81)
        XCTAssertEqual(delays[.errorDriftPageHinkley], 273)
        XCTAssertTrue(r.alerts.first { $0.kind == .psiDrift }!.triggersRetrain)
        XCTAssertFalse(r.alerts.first { $0.kind == .skillDecay }!.triggersRetrain)
    }

    /// The pipeline hands the monitor the scoreboard's per-model scores; the result must be the
    /// monitor's own scoring, alert for alert and number for number.
    func testScoresFromTheScoreboardGiveTheSameAlertsAndState() {
        let own = run(degradeAt: Self.breakAt), shared = run(degradeAt: Self.breakAt, scoredByScoreboard: true)
        XCTAssertEqual(shared.alerts.map(\.message), own.alerts.map(\.message))
        XCTAssertEqual(shared.snapshot, own.snapshot)
        XCTAssertEqual(shared.first[.skillDecay].map { $0 - Self.breakAt }, 23)
    }

    func testAlertJSONMatchesTheCommittedExample() throws {
        let alert = Alert(kind: .psiDrift, horizon: 5, model: "alpha", classIndex: 2, statistic: 0.4125, threshold: 0.0837,
                          eventTime: 1_718_000_000_000_000_000,
                          message: "PSI of alpha P(class 2) over the last 500 rows is 0.4125, above the null 0.999 quantile 0.0837 for this window and reference",
                          triggersRetrain: true)
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("schemas/examples/alert.json")
        let example = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! NSDictionary
        let ours = try JSONSerialization.jsonObject(with: Data(alert.json.utf8)) as! NSDictionary
        XCTAssertEqual(ours, example)
        XCTAssertEqual(AlertKind.psiDrift.topic, "alert.psi_drift")
        let plain = Alert(kind: .errorDriftADWIN, horizon: 1, statistic: .nan, threshold: .infinity, eventTime: -1,
                          message: "quote \" backslash \\ newline \n tab \t bell \u{7}")
        let decoded = try JSONSerialization.jsonObject(with: Data(plain.json.utf8)) as! [String: Any]
        XCTAssertNil(decoded["model"]); XCTAssertNil(decoded["class"])
        XCTAssertEqual(decoded["message"] as? String, plain.message)
    }
}
