#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What PSI compares each base model's recent vectors with: per (model, class) series, bin edges
/// at the reference's deciles, the reference's share of each bin and the alarm threshold.
///
/// Built from the rows a meta-model was trained on by a `Builder`, which is a plain value, so
/// the work (selecting the deciles of every column, binning every row) runs on the training
/// thread; the ingest thread then installs it with `PSIMonitor.apply(_:)`, which only re-bins
/// the recent window. Building it on the ingest thread paused ingest for milliseconds per
/// retrain.
public struct PSIReference: Sendable, Equatable {
    /// Per series (m·K + c): effective bin count (0: too few reference values).
    var bins: [Int]
    /// (M·K) × (B − 1) interior edges, ascending; only `bins − 1` of each series are used.
    var edges: [Double]
    /// (M·K) × B: the reference's share of each bin, and its logarithm.
    var proportion: [Double]
    var logProportion: [Double]
    /// Per series: the 1 − α null quantile of PSI (∞ without a reference).
    var threshold: [Double]
    /// Per model: reference rows in which the model was present.
    var referenceCount: [Int]

    /// The parameters of one `PSIMonitor`, enough to build references for it anywhere.
    public struct Builder: Sendable, Equatable {
        public let modelCount: Int
        public let classCount: Int
        public let windowSize: Int
        public let binCount: Int
        public let alpha: Double
        public let minReferenceCount: Int

        /// A reference from N rows of base vectors (N × M·K row-major); `presentMasks` (optional,
        /// N) excludes models that were imputed in a row. Allocates; pure.
        public func build(basePredictions: UnsafeBufferPointer<Double>, rowCount: Int,
                          presentMasks: UnsafeBufferPointer<UInt64>? = nil) -> PSIReference {
            let k = classCount, mk = modelCount * classCount, b = binCount
            precondition(basePredictions.count >= rowCount * mk, "reference is smaller than rowCount × M·K")
            var r = PSIReference(bins: Array(repeating: 0, count: mk), edges: Array(repeating: 0, count: mk * (b - 1)),
                                 proportion: Array(repeating: 0, count: mk * b), logProportion: Array(repeating: 0, count: mk * b),
                                 threshold: Array(repeating: .infinity, count: mk), referenceCount: Array(repeating: 0, count: modelCount))
            var column = [Double]()
            column.reserveCapacity(rowCount)
            var counts = [Int](repeating: 0, count: b)
            for m in 0..<modelCount {
                let present = { (row: Int) -> Bool in presentMasks.map { $0[row] & (UInt64(1) << UInt64(m)) != 0 } ?? true }
                r.referenceCount[m] = (0..<rowCount).reduce(0) { $0 + (present($1) ? 1 : 0) }
                for c in 0..<k {
                    let s = m * k + c
                    column.removeAll(keepingCapacity: true)
                    for row in 0..<rowCount where present(row) { column.append(basePredictions[row * mk + s]) }
                    guard column.count >= max(minReferenceCount, 2 * b) else { continue }
                    // Only the minimum and the deciles are needed: selected, not sorted (same values).
                    let n = column.count
                    let ranks = [0] + (1..<b).map { min(n - 1, $0 * n / b) }
                    column.withUnsafeMutableBufferPointer { OrderStatistics.select($0, ranks: ranks) }
                    // Interior edges at the deciles; a value equal to an edge falls above it.
                    // Duplicates and an edge at the minimum would leave empty bins: dropped.
                    var e = 0
                    for j in 1..<b {
                        let q = column[ranks[j]]
                        if q <= column[0] { continue }
                        if e > 0 && q <= r.edges[s * (b - 1) + e - 1] { continue }
                        r.edges[s * (b - 1) + e] = q
                        e += 1
                    }
                    let nb = e + 1
                    r.bins[s] = nb
                    for i in 0..<b { counts[i] = 0 }
                    for x in column { counts[PSIReference.bin(of: x, edges: r.edges, offset: s * (b - 1), bins: nb)] += 1 }
                    let total = Double(n)
                    for i in 0..<nb {
                        let q = Double(counts[i]) / total
                        r.proportion[s * b + i] = q
                        r.logProportion[s * b + i] = log(q)
                    }
                    r.threshold[s] = nb >= 2
                        ? NullDistribution.psiThreshold(alpha: alpha, bins: nb, windowCount: windowSize, referenceCount: n)
                        : .infinity
                }
            }
            return r
        }
    }

    /// The bin of `x` among `bins` bins whose `bins − 1` interior edges start at `edges[offset]`:
    /// the number of edges ≤ x.
    @inline(__always)
    static func bin(of x: Double, edges: [Double], offset o: Int, bins nb: Int) -> Int {
        var lo = 0, hi = nb - 1
        while lo < hi {
            let mid = (lo + hi) >> 1
            if edges[o + mid] <= x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
