/// Per-column centring and scaling learned on training rows.
///
/// Raw stacking features mix probabilities (0…1) with counts (0…4) and class codes (−1…1); on
/// such columns L-BFGS converges in many more iterations. Standardising improves conditioning,
/// and because the transform is affine it can be folded back into the linear model, so prediction
/// never pays for it. Note it changes what the L2 penalty measures (weights in standard units).
public struct FeatureStandardization: Sendable, Equatable, Codable {
    /// Column means of the training rows.
    public let means: [Double]
    /// Column population standard deviations; 1 where a column is constant (so it passes through).
    public let scales: [Double]

    public init(means: [Double], scales: [Double]) {
        precondition(means.count == scales.count, "means and scales differ in length")
        self.means = means
        self.scales = scales
    }

    /// Learns means and standard deviations (ddof = 0, like scikit-learn's `StandardScaler`).
    public init(fitting X: Matrix) {
        let n = X.rows, f = X.cols
        var mean = [Double](repeating: 0, count: f)
        var m2 = [Double](repeating: 0, count: f)
        // Welford: one pass, stable for large offsets.
        X.storage.withUnsafeBufferPointer { s in
            for r in 0..<n {
                let cnt = Double(r + 1)
                for c in 0..<f {
                    let v = s[r * f + c]
                    let delta = v - mean[c]
                    mean[c] += delta / cnt
                    m2[c] += delta * (v - mean[c])
                }
            }
        }
        var scale = [Double](repeating: 1, count: f)
        if n > 0 {
            for c in 0..<f {
                let sd = (m2[c] / Double(n)).squareRoot()
                scale[c] = sd > 1e-12 * max(1, abs(mean[c])) ? sd : 1
            }
        }
        self.init(means: mean, scales: scale)
    }

    /// (X − mean) / scale, column-wise.
    public func transform(_ X: Matrix) -> Matrix {
        precondition(X.cols == means.count, "column count mismatch")
        var out = X
        let f = X.cols
        out.withUnsafeMutableStorage { s in
            for r in 0..<X.rows {
                for c in 0..<f { s[r * f + c] = (s[r * f + c] - means[c]) / scales[c] }
            }
        }
        return out
    }
}
