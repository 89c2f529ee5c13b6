/// Calibration of the ensemble over the last `windowSize` labelled rows: per-class ECE and
/// reliability bins, with the bin rule of `Metrics.expectedCalibrationError` in StackdLearning
/// (b = min(⌊B·p⌋, B − 1); ECE = Σ n_b/N · |mean(y = c) − mean(p_c)|), so a live number and an
/// offline evaluation report agree.
///
/// The alarm is not on ECE itself, whose null distribution depends on the probabilities, but on
/// the Hosmer–Lemeshow statistic of the same bins, H = Σ_b (O_b − E_b)² / Σ_{i∈b} p_i(1 − p_i)
/// (bins with at least `minBinCount` rows), which is ≈ χ²(bins used) when the published
/// probabilities are calibrated; the threshold is its 1 − α quantile. Defaults are stricter than
/// for PSI (α = 1e-5, 30 rows per bin) because the test is repeated on every row of an overlapping
/// window and sparse extreme bins have a Poisson tail heavier than χ²: at α = 1e-3 and 5 rows per
/// bin a calibrated 20 000-row stream alarmed 5 times (MonitoringCalibrationTests).
///
/// Each update is O(K) plus O(K·B) for the statistics: per-bin sums are kept and the oldest row's
/// contribution is subtracted. Sums are rebuilt once per lap of the ring to stop rounding drift.
public struct RollingCalibration: Sendable {
    public let classCount: Int
    public let windowSize: Int
    public let binCount: Int
    public let alpha: Double
    public let minBinCount: Int

    private var probabilities: [Double]   // n × K ring
    private var labels: [Int32]
    private var head = 0
    public private(set) var count = 0
    /// Per (class, bin), K × B: the window's sums there, and its Hosmer–Lemeshow term
    /// (y − p)²/Σp(1−p) (0 while the bin has too few rows). Kept together so a row touches one
    /// record per class; only the bins a row enters or leaves are recomputed.
    private struct Cell: Sendable {
        var count = 0
        var sumP = 0.0, sumY = 0.0, sumVar = 0.0
        var term = 0.0
    }
    private var cells: [Cell]
    /// Per class: the bins whose term counts (at least `minBinCount` rows and Σp(1−p) > 0), kept
    /// as rows enter and leave. A bin that does not count has term 0, so a class's statistic is
    /// the plain sum of its B terms in bin order: the same additions in the same order as summing
    /// the counting bins only (adding +0 changes no sum ≥ 0), without testing every bin per row.
    private var usedBins: [Int]
    private var alarmed: [Bool]
    /// Per class: the last Hosmer–Lemeshow statistic and its threshold (NaN/∞ until evaluated).
    public private(set) var statistic: [Double]
    public private(set) var threshold: [Double]
    private var thresholdByBins: [Double]

    public init(classCount: Int, windowSize: Int = 1000, binCount: Int = 10, alpha: Double = 1e-5, minBinCount: Int = 30) {
        precondition(classCount > 0 && windowSize > 1 && binCount > 0 && alpha > 0 && alpha < 1, "bad calibration parameters")
        self.classCount = classCount
        self.windowSize = windowSize
        self.binCount = binCount
        self.alpha = alpha
        self.minBinCount = minBinCount
        probabilities = Array(repeating: 0, count: windowSize * classCount)
        labels = Array(repeating: 0, count: windowSize)
        cells = Array(repeating: Cell(), count: classCount * binCount)
        usedBins = Array(repeating: 0, count: classCount)
        alarmed = Array(repeating: false, count: classCount)
        statistic = Array(repeating: .nan, count: classCount)
        threshold = Array(repeating: .infinity, count: classCount)
        thresholdByBins = (0...binCount).map { $0 == 0 ? .infinity : NullDistribution.chiSquaredQuantile(1 - alpha, degreesOfFreedom: $0) }
    }

    /// b = min(⌊B·p⌋, B − 1), clamped at 0. Truncation equals the floor for every value the clamp
    /// keeps (B·p ≥ 0) and avoids a libm `floor` call on the baseline x86-64 target (no SSE4.1).
    @inline(__always) private static func bin(_ p: Double, _ binCount: Int) -> Int {
        min(max(Int(p * Double(binCount)), 0), binCount - 1)
    }

    /// Adds (sign +1) or removes (−1) ring row `r` from the per-bin sums.
    @inline(__always)
    private static func accumulate(_ cells: UnsafeMutableBufferPointer<Cell>, usedBins: UnsafeMutableBufferPointer<Int>,
                                   probabilities: UnsafeBufferPointer<Double>, label y: Int, row r: Int, sign: Double,
                                   classCount k: Int, binCount: Int, minBinCount: Int) {
        for c in 0..<k {
            let p = probabilities[r &* k &+ c]
            let i = c &* binCount &+ bin(p, binCount)
            var cell = cells[i]
            let counted = cell.count >= minBinCount && cell.sumVar > 0
            cell.count &+= sign > 0 ? 1 : -1
            cell.sumP += sign * p
            cell.sumY += sign * (y == c ? 1 : 0)
            cell.sumVar += sign * p * (1 - p)
            let counts = cell.count >= minBinCount && cell.sumVar > 0
            if counts {
                let d = cell.sumY - cell.sumP
                cell.term = d * d / cell.sumVar
            } else {
                cell.term = 0
            }
            cells[i] = cell
            if counts != counted { usedBins[c] &+= counts ? 1 : -1 }
        }
    }

    /// Empties the window (after a retrain the published probabilities come from a new model).
    public mutating func reset() {
        head = 0; count = 0
        for i in 0..<cells.count { cells[i] = Cell() }
        for c in 0..<classCount { usedBins[c] = 0; alarmed[c] = false; statistic[c] = .nan; threshold[c] = .infinity }
    }

    /// Adds one labelled ensemble vector. Calls `fired(class, statistic, threshold)` when a
    /// class's statistic crosses its threshold (re-armed once back under it); the statistic is
    /// evaluated only on a full window.
    public mutating func observe(_ p: UnsafeBufferPointer<Double>, label: Int, _ fired: (Int, Double, Double) -> Void) {
        let k = classCount, b = binCount, n = windowSize, minBin = minBinCount
        let slot = head
        let evicting = count == windowSize
        if !evicting { count += 1 }
        head = head + 1 == windowSize ? 0 : head + 1
        let lap = head == 0
        let rows = count
        let full = count == n
        let thresholds = thresholdByBins
        // One buffer access per array (a uniqueness check each) for the whole row.
        labels.withUnsafeMutableBufferPointer { labels in
          probabilities.withUnsafeMutableBufferPointer { ring in
            cells.withUnsafeMutableBufferPointer { cells in
              usedBins.withUnsafeMutableBufferPointer { used in
                if evicting {
                    Self.accumulate(cells, usedBins: used, probabilities: UnsafeBufferPointer(ring), label: Int(labels[slot]),
                                    row: slot, sign: -1, classCount: k, binCount: b, minBinCount: minBin)
                }
                for c in 0..<k { ring[slot &* k &+ c] = p[c] }
                labels[slot] = Int32(label)
                Self.accumulate(cells, usedBins: used, probabilities: UnsafeBufferPointer(ring), label: label, row: slot,
                                sign: 1, classCount: k, binCount: b, minBinCount: minBin)
                if lap {  // rebuild the sums from the ring once per lap: no rounding drift
                    for i in 0..<cells.count { cells[i] = Cell() }
                    for c in 0..<k { used[c] = 0 }
                    for r in 0..<rows {
                        Self.accumulate(cells, usedBins: used, probabilities: UnsafeBufferPointer(ring), label: Int(labels[r]),
                                        row: r, sign: 1, classCount: k, binCount: b, minBinCount: minBin)
                    }
                }
                guard full else { return }
                statistic.withUnsafeMutableBufferPointer { statistic in
                  threshold.withUnsafeMutableBufferPointer { threshold in
                    alarmed.withUnsafeMutableBufferPointer { alarmed in
                        for c in 0..<k {
                            // The same terms, summed in the same bin order, as computing each from the sums here.
                            let terms = UnsafePointer(cells.baseAddress!) + c &* b
                            var h = 0.0, bin = 0
                            while bin < b { h += terms[bin].term; bin &+= 1 }
                            let counted = used[c]
                            statistic[c] = counted > 0 ? h : .nan
                            threshold[c] = thresholds[counted]
                            if h > threshold[c] {
                                if !alarmed[c] { alarmed[c] = true; fired(c, h, threshold[c]) }
                            } else {
                                alarmed[c] = false
                            }
                        }
                    }
                  }
                }
              }
            }
          }
        }
    }

    /// Expected calibration error of class `c` over the window (0 when empty).
    public func expectedCalibrationError(class c: Int) -> Double {
        guard count > 0 else { return 0 }
        var e = 0.0
        for bin in 0..<binCount {
            let cell = cells[c * binCount + bin]
            if cell.count > 0 { e += abs(cell.sumY - cell.sumP) }
        }
        return e / Double(count)
    }

    /// Reliability bins of class `c` over the window (empty bins report zeros).
    public func reliability(class c: Int) -> [ReliabilityCell] {
        (0..<binCount).map { bin in
            let cell = cells[c * binCount + bin]
            return cell.count == 0 ? ReliabilityCell(count: 0, meanPredicted: 0, observedFrequency: 0)
                : ReliabilityCell(count: cell.count, meanPredicted: cell.sumP / Double(cell.count),
                                  observedFrequency: cell.sumY / Double(cell.count))
        }
    }
}

/// One bin of a live reliability diagram (the same fields as StackdLearning's `ReliabilityBin`,
/// which the core cannot depend on).
public struct ReliabilityCell: Sendable, Equatable {
    public var count: Int
    public var meanPredicted: Double
    public var observedFrequency: Double

    public init(count: Int, meanPredicted: Double, observedFrequency: Double) {
        self.count = count
        self.meanPredicted = meanPredicted
        self.observedFrequency = observedFrequency
    }
}
