#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Population stability index of every base model's P(class): the last `windowSize` vectors a
/// model published against the reference the current meta-model was trained on.
///
/// Bins are the reference's deciles (quantile bins), not ten equal-width bins on [0, 1]: class
/// probabilities crowd into a few equal-width bins (P(neutral) rarely leaves [0.2, 0.5]), which
/// leaves near-empty bins where the χ² approximation of the null fails and a handful of rows
/// swing the index. Quantile bins give every bin ≈ 1/B of the reference mass, so the null
/// PSI ≈ (1/n + 1/m)·χ²(B − 1) holds and the threshold can be derived for the window sizes in
/// use. Tied quantiles (point masses) are merged and the degrees of freedom follow.
///
/// Window proportions are smoothed with a pseudo-count `smoothing` per bin (default ½,
/// Krichevsky–Trofimov) so that an empty bin gives a finite, large term rather than ∞.
///
/// Steady state is O(1) per observation and allocation-free: a full window changes two bin
/// counts, so only their two PSI terms are recomputed; the sum is rebuilt once per lap of the
/// ring to stop rounding drift.
public struct PSIMonitor: Sendable {
    public let modelCount: Int
    public let classCount: Int
    public let windowSize: Int
    public let binCount: Int
    public let alpha: Double
    public let smoothing: Double
    public let minReferenceCount: Int

    /// n × (M·K) ring of raw probabilities, slot-major: one row's vectors share a cache line or
    /// two, where a series-major ring touched one line per (model, class) on every row.
    private var values: [Double]
    private var binOfValue: [UInt8]   // same shape: bin index under the current edges
    private var head: [Int]           // per model: next ring slot
    private var filled: [Int]         // per model: values in the ring
    private var counts: [Int]         // (M·K) × B window counts
    private var edges: [Double]       // (M·K) × (B − 1) interior edges, ascending, only `bins − 1` used
    private var bins: [Int]           // per series: effective bin count (0: no reference)
    private var refProportion: [Double]
    private var logRefProportion: [Double]
    private var terms: [Double]       // (M·K) × B
    /// Per series (model-major, m·K + c): the current PSI, NaN until the window is full and a
    /// reference is set.
    public private(set) var psi: [Double]
    /// Per series: the 1 − α null quantile for this window, reference size and bin count
    /// (∞ without a reference).
    public private(set) var threshold: [Double]
    /// Per model: reference rows in which the model was present.
    public private(set) var referenceCount: [Int]
    private var alarmed: [Bool]

    public init(modelCount: Int, classCount: Int, windowSize: Int = 500, binCount: Int = 10, alpha: Double = 0.001,
                smoothing: Double = 0.5, minReferenceCount: Int = 100) {
        precondition(modelCount > 0 && classCount > 0 && windowSize > 1 && binCount >= 2 && binCount <= 255
                     && alpha > 0 && alpha < 1 && smoothing > 0, "bad PSI parameters")
        self.modelCount = modelCount
        self.classCount = classCount
        self.windowSize = windowSize
        self.binCount = binCount
        self.alpha = alpha
        self.smoothing = smoothing
        self.minReferenceCount = minReferenceCount
        let s = modelCount * classCount
        values = Array(repeating: 0, count: s * windowSize)
        binOfValue = Array(repeating: 0, count: s * windowSize)
        head = Array(repeating: 0, count: modelCount)
        filled = Array(repeating: 0, count: modelCount)
        counts = Array(repeating: 0, count: s * binCount)
        edges = Array(repeating: 0, count: s * (binCount - 1))
        bins = Array(repeating: 0, count: s)
        refProportion = Array(repeating: 0, count: s * binCount)
        logRefProportion = Array(repeating: 0, count: s * binCount)
        terms = Array(repeating: 0, count: s * binCount)
        psi = Array(repeating: .nan, count: s)
        threshold = Array(repeating: .infinity, count: s)
        referenceCount = Array(repeating: 0, count: modelCount)
        alarmed = Array(repeating: false, count: s)
    }

    /// Observations in a model's window.
    public func windowCount(model m: Int) -> Int { filled[m] }

    /// Builds references for this monitor; a value, so a training thread can use it.
    public var referenceBuilder: PSIReference.Builder {
        PSIReference.Builder(modelCount: modelCount, classCount: classCount, windowSize: windowSize, binCount: binCount,
                             alpha: alpha, minReferenceCount: minReferenceCount)
    }

    /// Replaces the reference with the rows the meta-model was trained on: `basePredictions` is
    /// N × M·K row-major; `presentMasks` (optional, N) excludes models that were imputed in a row.
    /// Allocates; call it after a retrain, not per row. The recent windows are kept and re-binned.
    public mutating func setReference(basePredictions: UnsafeBufferPointer<Double>, rowCount: Int,
                                      presentMasks: UnsafeBufferPointer<UInt64>? = nil) {
        apply(referenceBuilder.build(basePredictions: basePredictions, rowCount: rowCount, presentMasks: presentMasks))
    }

    /// Installs a reference built by `referenceBuilder` (possibly on another thread): O(window ×
    /// series) to re-bin the recent window, no sorting.
    public mutating func apply(_ reference: PSIReference) {
        let mk = modelCount * classCount, b = binCount
        precondition(reference.bins.count == mk && reference.edges.count == mk * (b - 1)
                     && reference.proportion.count == mk * b && reference.referenceCount.count == modelCount,
                     "reference built for another monitor shape")
        bins = reference.bins
        edges = reference.edges
        refProportion = reference.proportion
        logRefProportion = reference.logProportion
        threshold = reference.threshold
        referenceCount = reference.referenceCount
        for m in 0..<modelCount {
            for c in 0..<classCount {
                let s = m * classCount + c
                alarmed[s] = false
                guard bins[s] > 0 else { psi[s] = .nan; continue }
                // Re-bin the recent window under the new edges.
                for i in 0..<b { counts[s * b + i] = 0 }
                for i in 0..<filled[m] {
                    let bi = bin(of: values[i * mk + s], series: s)
                    binOfValue[i * mk + s] = UInt8(bi)
                    counts[s * b + bi] += 1
                }
                recompute(series: s, model: m)
            }
        }
    }

    @inline(__always) private func bin(of x: Double, series s: Int) -> Int {
        PSIReference.bin(of: x, edges: edges, offset: s * (binCount - 1), bins: bins[s])
    }

    @inline(__always) private func term(series s: Int, bin i: Int) -> Double {
        let nb = Double(bins[s])
        let p = (Double(counts[s * binCount + i]) + smoothing) / (Double(windowSize) + nb * smoothing)
        return (p - refProportion[s * binCount + i]) * (log(p) - logRefProportion[s * binCount + i])
    }

    private mutating func recompute(series s: Int, model m: Int) {
        guard bins[s] >= 2, filled[m] == windowSize else { psi[s] = .nan; return }
        var sum = 0.0
        for i in 0..<bins[s] {
            let t = term(series: s, bin: i)
            terms[s * binCount + i] = t
            sum += t
        }
        psi[s] = sum
    }

    /// Adds model `m`'s vector to its window. Calls `fired(class, psi, threshold)` when a class's
    /// PSI crosses its threshold; it re-arms once the PSI is back under it.
    public mutating func observe(model m: Int, probabilities p: UnsafeBufferPointer<Double>,
                                 _ fired: (Int, Double, Double) -> Void) {
        let k = classCount, b = binCount
        let slot = head[m]
        let wasFull = filled[m] == windowSize
        head[m] = slot + 1 == windowSize ? 0 : slot + 1
        if !wasFull { filled[m] += 1 }
        let lap = head[m] == 0
        let n = modelCount * k
        values.withUnsafeMutableBufferPointer { v in
            for c in 0..<k { v[slot * n + m * k + c] = p[c] }
        }
        for c in 0..<k {
            let s = m * k + c
            guard bins[s] >= 2 else { continue }  // no reference yet: the ring only keeps the values
            let at = slot * n + s
            let x = p[c]
            let newBin = bin(of: x, series: s)
            if wasFull {
                let oldBin = Int(binOfValue[at])
                binOfValue[at] = UInt8(newBin)
                if oldBin != newBin {
                    counts[s * b + oldBin] -= 1
                    counts[s * b + newBin] += 1
                    if lap {
                        recompute(series: s, model: m)
                    } else {
                        let to = term(series: s, bin: oldBin), tn = term(series: s, bin: newBin)
                        psi[s] += (to - terms[s * b + oldBin]) + (tn - terms[s * b + newBin])
                        terms[s * b + oldBin] = to
                        terms[s * b + newBin] = tn
                    }
                } else if lap {
                    recompute(series: s, model: m)
                }
            } else {
                binOfValue[at] = UInt8(newBin)
                counts[s * b + newBin] += 1
                if filled[m] == windowSize { recompute(series: s, model: m) }
            }
            let v = psi[s]
            if v > threshold[s] {
                if !alarmed[s] { alarmed[s] = true; fired(c, v, threshold[s]) }
            } else if v <= threshold[s] {
                alarmed[s] = false
            }
        }
    }
}
