@testable import StackdCore
import StackdTestSupport
import XCTest

/// The rolling ECE equals `Metrics.expectedCalibrationError`'s definition recomputed from scratch.
final class MonitoringCalibrationTests: XCTestCase {
    func testRollingECEAndReliabilityEqualFromScratchAtEveryStep() {
        var rng = SplitMix64(seed: 99)
        let k = 3, n = 50, bins = 10
        var monitor = RollingCalibration(classCount: k, windowSize: n, binCount: bins)
        var rows: [([Double], Int)] = []
        var p = [Double](repeating: 0, count: k)
        for step in 0..<1500 {
            monitoringSoftmax((0..<k).map { _ in 1.5 * rng.normal() }, into: &p, at: 0)
            if step % 97 == 0 { p = [1, 0, 0] }                 // exact bin edge p = 1 → bin 9
            if step % 89 == 0 { p = [0.3, 0.3, 0.4] }           // p·10 lands on / near an edge
            let y = rng.below(k)
            rows.append((p, y)); if rows.count > n { rows.removeFirst() }
            p.withUnsafeBufferPointer { monitor.observe($0, label: y) { _, _, _ in } }
            for c in 0..<k {
                var cnt = [Int](repeating: 0, count: bins), sp = [Double](repeating: 0, count: bins), sy = sp
                for (q, yy) in rows {
                    let b = min(max(Int((q[c] * Double(bins)).rounded(.down)), 0), bins - 1)
                    cnt[b] += 1; sp[b] += q[c]; sy[b] += yy == c ? 1 : 0
                }
                var ece = 0.0
                for b in 0..<bins where cnt[b] > 0 {
                    ece += Double(cnt[b]) / Double(rows.count) * abs(sy[b] / Double(cnt[b]) - sp[b] / Double(cnt[b]))
                }
                XCTAssertEqual(monitor.expectedCalibrationError(class: c), ece, accuracy: 1e-12, "step \(step) class \(c)")
                let rel = monitor.reliability(class: c)
                for b in 0..<bins {
                    XCTAssertEqual(rel[b].count, cnt[b])
                    if cnt[b] > 0 { XCTAssertEqual(rel[b].meanPredicted, sp[b] / Double(cnt[b]), accuracy: 1e-12) }
                }
            }
        }
    }

    /// The Hosmer–Lemeshow statistic and its threshold equal their definition recomputed from the
    /// window at every step: H = Σ over the bins with ≥ `minBinCount` rows and Σp(1−p) > 0 of
    /// (O − E)² / Σp(1−p), threshold = χ² quantile with that many bins as degrees of freedom (NaN/∞
    /// with none). A small `minBinCount` makes bins start and stop counting all the time. The
    /// monitor's sums are running sums (rebuilt once per lap), the reference's fresh: 1e-9 relative.
    func testHosmerLemeshowStatisticAndThresholdEqualFromScratchAtEveryStep() {
        var rng = SplitMix64(seed: 7)
        let k = 3, n = 60, bins = 10, minBin = 4, alpha = 1e-3
        var monitor = RollingCalibration(classCount: k, windowSize: n, binCount: bins, alpha: alpha, minBinCount: minBin)
        var rows: [([Double], Int)] = []
        var p = [Double](repeating: 0, count: k)
        for step in 0..<1500 {
            monitoringSoftmax((0..<k).map { _ in 1.5 * rng.normal() }, into: &p, at: 0)
            let y = rng.below(k)
            rows.append((p, y)); if rows.count > n { rows.removeFirst() }
            p.withUnsafeBufferPointer { monitor.observe($0, label: y) { _, _, _ in } }
            guard rows.count == n else {
                XCTAssertTrue(monitor.statistic.allSatisfy(\.isNaN), "not evaluated before the window is full")
                continue
            }
            for c in 0..<k {
                var cnt = [Int](repeating: 0, count: bins), sp = [Double](repeating: 0, count: bins), sy = sp, sv = sp
                for (q, yy) in rows {
                    let b = min(max(Int((q[c] * Double(bins)).rounded(.down)), 0), bins - 1)
                    cnt[b] += 1; sp[b] += q[c]; sy[b] += yy == c ? 1 : 0; sv[b] += q[c] * (1 - q[c])
                }
                var h = 0.0, used = 0
                for b in 0..<bins where cnt[b] >= minBin && sv[b] > 0 {
                    h += (sy[b] - sp[b]) * (sy[b] - sp[b]) / sv[b]
                    used += 1
                }
                let expectedThreshold = used == 0 ? Double.infinity
                    : NullDistribution.chiSquaredQuantile(1 - alpha, degreesOfFreedom: used)
                XCTAssertEqual(monitor.threshold[c], expectedThreshold, "step \(step) class \(c): \(used) bins counted")
                if used == 0 {
                    XCTAssertTrue(monitor.statistic[c].isNaN, "step \(step) class \(c)")
                } else {
                    XCTAssertEqual(monitor.statistic[c], h, accuracy: 1e-9 * max(1, h), "step \(step) class \(c)")
                }
            }
        }
    }

    func testCalibratedStreamDoesNotAlarmAndOverconfidentOneDoes() {
        var rng = SplitMix64(seed: 5)
        let k = 3
        var calibrated = RollingCalibration(classCount: k, windowSize: 1000)
        var sharpened = RollingCalibration(classCount: k, windowSize: 1000)
        var p = [Double](repeating: 0, count: k), s = p
        var falseAlarms = 0, hits: [Int] = []
        for step in 0..<20_000 {
            monitoringSoftmax((0..<k).map { _ in rng.normal() }, into: &p, at: 0)
            // Label drawn from p: p is calibrated by construction.
            let u = rng.uniform()
            let y = u < p[0] ? 0 : (u < p[0] + p[1] ? 1 : 2)
            p.withUnsafeBufferPointer { calibrated.observe($0, label: y) { _, _, _ in falseAlarms += 1 } }
            // From row 10 000 the published vector is sharpened (temperature 0.5): overconfident.
            if step >= 10_000 {
                monitoringSoftmax((0..<k).map { log(p[$0]) / 0.5 }, into: &s, at: 0)
            } else {
                s = p
            }
            s.withUnsafeBufferPointer { sharpened.observe($0, label: y) { _, _, _ in hits.append(step) } }
        }
        XCTAssertEqual(falseAlarms, 0)
        XCTAssertTrue(hits.allSatisfy { $0 >= 10_000 }, "\(hits)")
        XCTAssertFalse(hits.isEmpty)
        // Measured: detected at row 10 280 (delay 280), no alarm on the calibrated stream.
        print("calibration: sharpening at 10000 detected at row \(hits.first!) (delay \(hits.first! - 10_000))")
        XCTAssertLessThan(hits.first! - 10_000, 500)
    }
}
