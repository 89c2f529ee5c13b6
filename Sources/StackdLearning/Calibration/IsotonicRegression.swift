/// Increasing isotonic regression of one variable, fitted by pool-adjacent-violators.
///
/// Matches scikit-learn's `IsotonicRegression(increasing=True, out_of_bounds="clip")` so fitted
/// artifacts can be checked against the offline tooling: zero-weight points are dropped, points
/// whose x differ by less than 1e-15 from the first x of their run are pooled into one point (its
/// target the weighted mean, its weight the sum), interior thresholds that sit on a flat run are
/// dropped, prediction interpolates linearly between thresholds and clips outside them.
public struct IsotonicRegression: Sendable, Equatable, Codable {
    /// Increasing x of the fitted step/ramp function (at least one).
    public let xThresholds: [Double]
    /// Fitted values at `xThresholds` (non-decreasing).
    public let yThresholds: [Double]

    /// The width under which two x values count as tied (numpy's float64 `resolution`, as
    /// scikit-learn uses).
    public static let tieTolerance = 1e-15

    /// Restores a fitted map (e.g. from an artifact); thresholds must be increasing in x and
    /// non-decreasing in y.
    public init(xThresholds: [Double], yThresholds: [Double]) {
        precondition(!xThresholds.isEmpty && xThresholds.count == yThresholds.count, "bad thresholds")
        precondition(zip(xThresholds, xThresholds.dropFirst()).allSatisfy { $0 < $1 }, "x must increase")
        precondition(zip(yThresholds, yThresholds.dropFirst()).allSatisfy { $0 <= $1 }, "y must not decrease")
        self.xThresholds = xThresholds
        self.yThresholds = yThresholds
    }

    /// Fits the weighted least-squares non-decreasing function of `x` to `y`.
    /// - Parameter weights: per-point weights ≥ 0 (default 1); zero-weight points are ignored.
    /// - Throws: `CalibrationError` for mismatched lengths, non-finite input, or no positive weight.
    public init(fitting x: [Double], _ y: [Double], weights: [Double]? = nil) throws {
        guard x.count == y.count, weights == nil || weights!.count == x.count else {
            throw CalibrationError.lengthMismatch
        }
        var idx: [Int] = []
        idx.reserveCapacity(x.count)
        for i in x.indices {
            let w = weights?[i] ?? 1
            guard x[i].isFinite, y[i].isFinite, w.isFinite, w >= 0 else { throw CalibrationError.nonFiniteInput }
            if w > 0 { idx.append(i) }
        }
        guard !idx.isEmpty else { throw CalibrationError.emptyTrainingSet }
        // Sort by (x, y) so tied x are summed in the same order as numpy's lexsort.
        idx.sort { x[$0] != x[$1] ? x[$0] < x[$1] : y[$0] < y[$1] }

        // Pool tied x: weighted mean target, summed weight.
        var ux: [Double] = [], uy: [Double] = [], uw: [Double] = []
        var cx = x[idx[0]], cw = 0.0, cwy = 0.0
        for i in idx {
            let w = weights?[i] ?? 1
            if x[i] - cx >= Self.tieTolerance {
                ux.append(cx); uw.append(cw); uy.append(cwy / cw)
                cx = x[i]; cw = w; cwy = y[i] * w
            } else {
                cw += w; cwy += y[i] * w
            }
        }
        ux.append(cx); uw.append(cw); uy.append(cwy / cw)

        let fitted = Self.poolAdjacentViolators(uy, weights: uw)

        // Keep the ends and every point that is not strictly inside a flat run.
        var xt: [Double] = [], yt: [Double] = []
        for k in fitted.indices {
            if k == 0 || k == fitted.count - 1 || fitted[k] != fitted[k - 1] || fitted[k] != fitted[k + 1] {
                xt.append(ux[k]); yt.append(fitted[k])
            }
        }
        self.xThresholds = xt
        self.yThresholds = yt
    }

    /// The weighted non-decreasing least-squares fit of `y` in index order.
    ///
    /// A stack of blocks (weighted mean, weight, length); each new point is pushed and merged
    /// backwards while it does not exceed its predecessor, so the whole fit is O(n).
    public static func poolAdjacentViolators(_ y: [Double], weights: [Double]) -> [Double] {
        precondition(y.count == weights.count, "length mismatch")
        var mean: [Double] = [], weight: [Double] = [], length: [Int] = []
        mean.reserveCapacity(y.count); weight.reserveCapacity(y.count); length.reserveCapacity(y.count)
        for i in y.indices {
            var m = y[i], w = weights[i], n = 1
            while let last = mean.last, last >= m {
                let lw = weight.removeLast()
                mean.removeLast()
                n += length.removeLast()
                m = (last * lw + m * w) / (lw + w)
                w += lw
            }
            mean.append(m); weight.append(w); length.append(n)
        }
        var out: [Double] = []
        out.reserveCapacity(y.count)
        for b in mean.indices { out.append(contentsOf: repeatElement(mean[b], count: length[b])) }
        return out
    }

    /// The fitted function at `t`: linear between thresholds, clipped to the end values outside
    /// them. NaN in, NaN out (callers guard).
    @inlinable
    public func predict(_ t: Double) -> Double {
        let n = xThresholds.count
        if n == 1 { return yThresholds[0] }
        if t.isNaN { return t }
        let c = min(max(t, xThresholds[0]), xThresholds[n - 1])
        // First threshold ≥ c, kept within 1…n−1 (scipy interp1d's search).
        var lo = 0, hi = n
        while lo < hi {
            let mid = (lo + hi) >> 1
            if xThresholds[mid] < c { lo = mid + 1 } else { hi = mid }
        }
        let k = min(max(lo, 1), n - 1)
        let x0 = xThresholds[k - 1], y0 = yThresholds[k - 1]
        let slope = (yThresholds[k] - y0) / (xThresholds[k] - x0)
        return slope * (c - x0) + y0
    }
}
