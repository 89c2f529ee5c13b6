#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Each base model's recent log-loss against its own long-run log-loss.
///
/// The long run is every scored row that has already left the recent window, so the two samples
/// are disjoint and a decay cannot hide by dragging its own baseline up. The alarm is a one-sided
/// two-sample z test, z = (recent − longRun) / √(s²_recent/n + s²_longRun/N), fired at
/// z ≥ `zThreshold` (3 by default): the bar scales with the window's standard error, so a small
/// window needs a larger decay to alarm, and a noisy model does not page anyone.
///
/// Sums are updated in O(1) and rebuilt once per lap of the ring (no rounding drift, no allocation).
public struct SkillDecayMonitor: Sendable {
    public let modelCount: Int
    public let windowSize: Int
    public let zThreshold: Double
    public let minLongRunCount: Int

    /// Per-model running state, kept together so one labelled row touches one small record.
    private struct Stats: Sendable {
        var head = 0, filled = 0
        var sum = 0.0, sumSq = 0.0, correct = 0
        var longCount = 0, longSum = 0.0, longSumSq = 0.0, longCorrect = 0
        var alarmed = false
    }

    /// Rings of the recent window, model-interleaved (slot `i` of model `m` at `i·M + m`): models
    /// usually advance together, so one labelled row touches one cache line, not one per model.
    private var losses: [Double]
    private var hits: [UInt8]
    private var stats: [Stats]

    /// Per model: the z statistic of the current samples (NaN until both are large enough).
    public var z: [Double] { (0..<modelCount).map(zScore(model:)) }

    public init(modelCount: Int, windowSize: Int = 500, zThreshold: Double = 3, minLongRunCount: Int = 500) {
        precondition(modelCount > 0 && windowSize > 1 && zThreshold > 0 && minLongRunCount > 1, "bad skill-decay parameters")
        self.modelCount = modelCount
        self.windowSize = windowSize
        self.zThreshold = zThreshold
        self.minLongRunCount = minLongRunCount
        losses = Array(repeating: 0, count: modelCount * windowSize)
        hits = Array(repeating: 0, count: modelCount * windowSize)
        stats = Array(repeating: Stats(), count: modelCount)
    }

    /// Computed on read (metrics, alert text): the per-row test compares squares instead.
    public func zScore(model m: Int) -> Double {
        let s = stats[m]
        guard s.filled == windowSize, s.longCount >= minLongRunCount else { return .nan }
        let n = Double(windowSize), nl = Double(s.longCount)
        let mean = s.sum / n, meanL = s.longSum / nl
        let varW = max(0, (s.sumSq - n * mean * mean) / (n - 1))
        let varL = max(0, (s.longSumSq - nl * meanL * meanL) / (nl - 1))
        let se = (varW / n + varL / nl).squareRoot()
        guard se > 0 else { return .nan }
        return (mean - meanL) / se
    }
    public func recentCount(model m: Int) -> Int { stats[m].filled }
    public func recentLogLoss(model m: Int) -> Double { stats[m].filled > 0 ? stats[m].sum / Double(stats[m].filled) : .nan }
    public func recentAccuracy(model m: Int) -> Double {
        stats[m].filled > 0 ? Double(stats[m].correct) / Double(stats[m].filled) : .nan
    }
    public func longRunCount(model m: Int) -> Int { stats[m].longCount }
    public func longRunLogLoss(model m: Int) -> Double {
        stats[m].longCount > 0 ? stats[m].longSum / Double(stats[m].longCount) : .nan
    }
    public func longRunAccuracy(model m: Int) -> Double {
        stats[m].longCount > 0 ? Double(stats[m].longCorrect) / Double(stats[m].longCount) : .nan
    }

    /// Scores model `m`'s vector against `label`; true when its decay alarm fires (it re-arms
    /// when z falls back under the threshold).
    public mutating func observe(model m: Int, probabilities p: UnsafeBufferPointer<Double>, label: Int) -> Bool {
        var arg = 0
        for c in 1..<p.count where p[c] > p[arg] { arg = c }
        let mc = modelCount
        // The one-model case of the all-models update below (a stack scratch of M scores).
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: mc) { losses in
            withUnsafeTemporaryAllocation(of: Bool.self, capacity: mc) { hits in
                losses.initialize(repeating: 0)
                hits.initialize(repeating: false)
                losses[m] = -log(max(p[label], 1e-15))
                hits[m] = arg == label
                return observe(logLosses: UnsafeBufferPointer(losses), hits: UnsafeBufferPointer(hits),
                               presentMask: UInt64(1) << UInt64(m)) != 0
            }
        }
    }

    /// Every present model's row at once, from scores already computed (the scoreboard's:
    /// −ln max(p_label, 1e-15) and arg-max hits). Returns the models whose alarm fired, as a
    /// bit mask (bit m: model m).
    public mutating func observe(logLosses: UnsafeBufferPointer<Double>, hits: UnsafeBufferPointer<Bool>,
                                 presentMask: UInt64) -> UInt64 {
        let w = windowSize, minLong = minLongRunCount, threshold = zThreshold, mc = modelCount
        var fired: UInt64 = 0
        losses.withUnsafeMutableBufferPointer { losses in
            self.hits.withUnsafeMutableBufferPointer { hitRing in
                stats.withUnsafeMutableBufferPointer { all in
                    for m in 0..<mc where presentMask & (UInt64(1) << UInt64(m)) != 0 {
                        if Self.update(&all[m], losses: losses.baseAddress! + m, hits: hitRing.baseAddress! + m, stride: mc,
                                       loss: logLosses[m], hit: hits[m] ? 1 : 0, windowSize: w, minLongRunCount: minLong,
                                       zThreshold: threshold) {
                            fired |= UInt64(1) << UInt64(m)
                        }
                    }
                }
            }
        }
        return fired
    }

    private static func update(_ s: inout Stats, losses: UnsafeMutablePointer<Double>, hits: UnsafeMutablePointer<UInt8>, stride: Int,
                               loss: Double, hit: UInt8, windowSize: Int, minLongRunCount: Int, zThreshold: Double) -> Bool {
        let at = s.head * stride
        if s.filled == windowSize {
            let old = losses[at]
            s.longCount += 1; s.longSum += old; s.longSumSq += old * old; s.longCorrect += Int(hits[at])
            s.sum -= old; s.sumSq -= old * old; s.correct -= Int(hits[at])
        } else {
            s.filled += 1
        }
        losses[at] = loss; hits[at] = hit
        s.sum += loss; s.sumSq += loss * loss; s.correct += Int(hit)
        s.head = s.head + 1 == windowSize ? 0 : s.head + 1
        if s.head == 0 {
            var sum = 0.0, q = 0.0
            for i in 0..<s.filled { let x = losses[i * stride]; sum += x; q += x * x }
            s.sum = sum; s.sumSq = q
        }
        guard s.filled == windowSize, s.longCount >= minLongRunCount else { return false }
        // z ≥ threshold ⇔ recent − longRun ≥ threshold · se, tested without the square root:
        // both sides are non-negative whenever it can hold (the threshold is positive).
        let n = Double(windowSize), nl = Double(s.longCount)
        let mean = s.sum / n, meanL = s.longSum / nl
        let varW = max(0, (s.sumSq - n * mean * mean) / (n - 1))
        let varL = max(0, (s.longSumSq - nl * meanL * meanL) / (nl - 1))
        let se2 = varW / n + varL / nl
        guard se2 > 0 else { return false }
        let difference = mean - meanL
        let fires = difference > 0 && difference * difference >= zThreshold * zThreshold * se2
        if fires {
            if !s.alarmed { s.alarmed = true; return true }
        } else {
            s.alarmed = false
        }
        return false
    }
}
