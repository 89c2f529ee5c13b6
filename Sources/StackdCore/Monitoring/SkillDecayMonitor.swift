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

    private var losses: [Double]
    private var hits: [UInt8]
    private var head: [Int]
    private var filled: [Int]
    private var sum: [Double], sumSq: [Double], correct: [Int]
    private var longCount: [Int], longSum: [Double], longSumSq: [Double], longCorrect: [Int]
    private var alarmed: [Bool]
    /// Per model: the last z statistic (NaN until both samples are large enough).
    public private(set) var z: [Double]

    public init(modelCount: Int, windowSize: Int = 500, zThreshold: Double = 3, minLongRunCount: Int = 500) {
        precondition(modelCount > 0 && windowSize > 1 && zThreshold > 0 && minLongRunCount > 1, "bad skill-decay parameters")
        self.modelCount = modelCount
        self.windowSize = windowSize
        self.zThreshold = zThreshold
        self.minLongRunCount = minLongRunCount
        losses = Array(repeating: 0, count: modelCount * windowSize)
        hits = Array(repeating: 0, count: modelCount * windowSize)
        head = Array(repeating: 0, count: modelCount)
        filled = head
        sum = Array(repeating: 0, count: modelCount); sumSq = sum; longSum = sum; longSumSq = sum
        correct = head; longCount = head; longCorrect = head
        alarmed = Array(repeating: false, count: modelCount)
        z = Array(repeating: .nan, count: modelCount)
    }

    public func recentCount(model m: Int) -> Int { filled[m] }
    public func recentLogLoss(model m: Int) -> Double { filled[m] > 0 ? sum[m] / Double(filled[m]) : .nan }
    public func recentAccuracy(model m: Int) -> Double { filled[m] > 0 ? Double(correct[m]) / Double(filled[m]) : .nan }
    public func longRunCount(model m: Int) -> Int { longCount[m] }
    public func longRunLogLoss(model m: Int) -> Double { longCount[m] > 0 ? longSum[m] / Double(longCount[m]) : .nan }
    public func longRunAccuracy(model m: Int) -> Double {
        longCount[m] > 0 ? Double(longCorrect[m]) / Double(longCount[m]) : .nan
    }

    /// Scores model `m`'s vector against `label`; true when its decay alarm fires (it re-arms
    /// when z falls back under the threshold).
    public mutating func observe(model m: Int, probabilities p: UnsafeBufferPointer<Double>, label: Int) -> Bool {
        let loss = -log(max(p[label], 1e-15))
        var arg = 0
        for c in 1..<p.count where p[c] > p[arg] { arg = c }
        let hit: UInt8 = arg == label ? 1 : 0
        let at = m * windowSize + head[m]
        if filled[m] == windowSize {
            let old = losses[at]
            longCount[m] += 1; longSum[m] += old; longSumSq[m] += old * old; longCorrect[m] += Int(hits[at])
            sum[m] -= old; sumSq[m] -= old * old; correct[m] -= Int(hits[at])
        } else {
            filled[m] += 1
        }
        losses[at] = loss; hits[at] = hit
        sum[m] += loss; sumSq[m] += loss * loss; correct[m] += Int(hit)
        head[m] = head[m] + 1 == windowSize ? 0 : head[m] + 1
        if head[m] == 0 {
            var s = 0.0, q = 0.0
            for i in 0..<filled[m] { let x = losses[m * windowSize + i]; s += x; q += x * x }
            sum[m] = s; sumSq[m] = q
        }
        guard filled[m] == windowSize, longCount[m] >= minLongRunCount else { z[m] = .nan; return false }
        let n = Double(windowSize), nl = Double(longCount[m])
        let mean = sum[m] / n, meanL = longSum[m] / nl
        let varW = max(0, (sumSq[m] - n * mean * mean) / (n - 1))
        let varL = max(0, (longSumSq[m] - nl * meanL * meanL) / (nl - 1))
        let se = (varW / n + varL / nl).squareRoot()
        guard se > 0 else { z[m] = .nan; return false }
        let value = (mean - meanL) / se
        z[m] = value
        if value >= zThreshold {
            if !alarmed[m] { alarmed[m] = true; return true }
        } else {
            alarmed[m] = false
        }
        return false
    }
}
