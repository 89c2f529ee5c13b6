#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ADWIN (Bifet & Gavaldà 2007) over a stream of per-row errors, with River's exponential
/// histogram and arithmetic so that detections land on the same rows as `river.drift.ADWIN`.
///
/// Why River's semantics rather than the paper's: operators compare our alerts with notebooks
/// that use River, so the detection index must agree. Two River choices follow from that:
/// cuts are only examined every `clock` rows (a detection index is always a multiple of
/// `clock` after the last reset, minus one), and the update *after* a detection restarts the
/// detector from an empty window instead of keeping the shrunken one.
///
/// The histogram lives in fixed arrays (row r holds up to `maxBuckets + 1` summaries of 2^r
/// values each), so an update never allocates; 62 rows cover more values than a daemon sees.
public struct AdaptiveWindowing: Sendable {
    public let delta: Double
    public let clock: Int
    public let maxBuckets: Int
    public let minWindowLength: Int
    public let gracePeriod: Int

    private static let rowCapacity = 62
    private var totals: [Double]
    private var variances: [Double]
    private var rowCounts: [Int]
    private var rowsInUse = 1
    private var tick = 0
    private var pendingReset = false

    /// Values in the window.
    public private(set) var width = 0.0
    /// Sum of the values in the window.
    public private(set) var total = 0.0
    /// Sum of squared deviations from the window mean (River's `variance`).
    public private(set) var variance = 0.0
    /// Detections since creation.
    public private(set) var detectionCount = 0
    /// True when the last update detected a change.
    public private(set) var driftDetected = false
    /// At the last detection: mean(older part) − mean(newer part) at the first significant cut
    /// (negative when the signal rose) and the ε_cut it exceeded in absolute value.
    public private(set) var lastCutMeanDifference = 0.0
    public private(set) var lastCutEpsilon = 0.0

    public init(delta: Double = 0.002, clock: Int = 32, maxBuckets: Int = 5, minWindowLength: Int = 5,
                gracePeriod: Int = 10) {
        precondition(delta > 0 && delta < 1 && clock > 0 && maxBuckets >= 2 && minWindowLength >= 1, "bad ADWIN parameters")
        self.delta = delta
        self.clock = clock
        self.maxBuckets = maxBuckets
        self.minWindowLength = minWindowLength
        self.gracePeriod = gracePeriod
        let slots = Self.rowCapacity * (maxBuckets + 1)
        totals = Array(repeating: 0, count: slots)
        variances = Array(repeating: 0, count: slots)
        rowCounts = Array(repeating: 0, count: Self.rowCapacity)
    }

    /// Mean of the window (0 when empty, as River's `estimation`).
    public var estimation: Double { width == 0 ? 0 : total / width }

    /// Adds one value; true when a change is detected at this value.
    @discardableResult
    public mutating func update(_ value: Double) -> Bool {
        if pendingReset { reset() }
        insert(value)
        driftDetected = detectChange()
        if driftDetected { detectionCount += 1; pendingReset = true }
        return driftDetected
    }

    /// Empties the window (keeps the detection count).
    public mutating func reset() {
        for r in 0..<rowsInUse { rowCounts[r] = 0 }
        rowsInUse = 1
        tick = 0
        width = 0; total = 0; variance = 0
        pendingReset = false
        driftDetected = false
    }

    @inline(__always) private func slot(_ row: Int, _ k: Int) -> Int { row * (maxBuckets + 1) + k }

    private mutating func insert(_ value: Double) {
        append(row: 0, total: value, variance: 0)
        width += 1
        if width > 1 {
            let d = value - total / (width - 1)
            variance += (width - 1) * d * d / width
        }
        total += value
        compress()
    }

    private mutating func append(row: Int, total t: Double, variance v: Double) {
        let s = slot(row, rowCounts[row])
        totals[s] = t
        variances[s] = v
        rowCounts[row] += 1
    }

    /// Drops the first `n` summaries of a row (the oldest ones).
    private mutating func dropFront(row: Int, _ n: Int) {
        let base = slot(row, 0)
        let count = rowCounts[row]
        for i in n..<count {
            totals[base + i - n] = totals[base + i]
            variances[base + i - n] = variances[base + i]
        }
        rowCounts[row] = count - n
    }

    /// Merges the two oldest summaries of a full row into the next row, cascading.
    private mutating func compress() {
        var row = 0
        while rowCounts[row] == maxBuckets + 1 {
            precondition(row + 1 < Self.rowCapacity, "ADWIN histogram capacity exceeded")
            let n = Double(UInt64(1) << UInt64(row))
            let t0 = totals[slot(row, 0)], t1 = totals[slot(row, 1)]
            let mu0 = t0 / n, mu1 = t1 / n
            let merged = variances[slot(row, 0)] + variances[slot(row, 1)] + n * 0.5 * (mu0 - mu1) * (mu0 - mu1)
            if row + 1 >= rowsInUse { rowCounts[row + 1] = 0; rowsInUse = row + 2 }
            append(row: row + 1, total: t0 + t1, variance: merged)
            dropFront(row: row, 2)
            if rowCounts[row + 1] <= maxBuckets { break }
            row += 1
        }
    }

    /// Removes the oldest summary (in the last row).
    private mutating func deleteOldest() {
        let last = rowsInUse - 1
        let n = Double(UInt64(1) << UInt64(last))
        let u = totals[slot(last, 0)], v = variances[slot(last, 0)]
        let mu = u / n
        width -= n
        total -= u
        let muWindow = total / width
        variance -= v + n * width * (mu - muWindow) * (mu - muWindow) / (n + width)
        dropFront(row: last, 1)
        if rowCounts[last] == 0 && rowsInUse > 1 { rowsInUse -= 1 }
    }

    private mutating func detectChange() -> Bool {
        var detected = false
        tick += 1
        guard tick % clock == 0, width > Double(gracePeriod) else { return false }
        let minLength = Double(minWindowLength)
        var reduce = true
        while reduce {
            reduce = false
            var n0 = 0.0, n1 = width, u0 = 0.0, u1 = total
            scan: for row in stride(from: rowsInUse - 1, through: 0, by: -1) {
                let size = Double(UInt64(1) << UInt64(row))
                let count = rowCounts[row]
                for k in 0..<count {
                    n0 += size; n1 -= size
                    let t = totals[slot(row, k)]
                    u0 += t; u1 -= t
                    if row == 0 && k == count - 1 { break scan }
                    let deltaMean = u0 / n0 - u1 / n1
                    if n1 >= minLength, n0 >= minLength, let epsilon = significantCut(n0, n1, deltaMean) {
                        if !detected { lastCutMeanDifference = deltaMean; lastCutEpsilon = epsilon }
                        reduce = true
                        detected = true
                        if width > 0 { deleteOldest(); break scan }
                    }
                }
            }
        }
        return detected
    }

    /// ε_cut when |deltaMean| exceeds it, else nil.
    private func significantCut(_ n0: Double, _ n1: Double, _ deltaMean: Double) -> Double? {
        let deltaPrime = log(2 * log(width) / delta)
        let mRecip = 1 / (n0 - Double(minWindowLength) + 1) + 1 / (n1 - Double(minWindowLength) + 1)
        let epsilon = (2 * mRecip * (variance / width) * deltaPrime).squareRoot() + 2.0 / 3.0 * deltaPrime * mRecip
        return abs(deltaMean) > epsilon ? epsilon : nil
    }
}
