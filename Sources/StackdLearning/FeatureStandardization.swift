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
    ///
    /// One pass over X in row blocks that stay in cache: each block's mean and centred sum of
    /// squares come from two vectorisable sweeps over the block, then blocks are merged with
    /// Chan et al.'s pairwise update (stable for large offsets, like Welford, without a division
    /// per element).
    public init(fitting X: Matrix) {
        let n = X.rows, f = X.cols
        var mean = [Double](repeating: 0, count: f)
        var m2 = [Double](repeating: 0, count: f)
        var bmean = [Double](repeating: 0, count: f)
        var bm2 = [Double](repeating: 0, count: f)
        let blockRows = max(64, min(4096, (1 << 15) / max(1, f)))
        X.storage.withUnsafeBufferPointer { sb in
            mean.withUnsafeMutableBufferPointer { mp in
            m2.withUnsafeMutableBufferPointer { qp in
            bmean.withUnsafeMutableBufferPointer { bmp in
            bm2.withUnsafeMutableBufferPointer { bqp in
                guard let s = sb.baseAddress, let mu = mp.baseAddress, let q = qp.baseAddress,
                      let bm = bmp.baseAddress, let bq = bqp.baseAddress else { return }
                var done = 0
                while done < n {
                    let nb = min(blockRows, n - done)
                    let block = s + done * f
                    for c in 0..<f { bm[c] = 0; bq[c] = 0 }
                    for r in 0..<nb {
                        let row = block + r * f
                        var c = 0
                        while c < f { bm[c] += row[c]; c += 1 }
                    }
                    let invNb = 1 / Double(nb)
                    for c in 0..<f { bm[c] *= invNb }
                    for r in 0..<nb {
                        let row = block + r * f
                        var c = 0
                        while c < f { let d = row[c] - bm[c]; bq[c] += d * d; c += 1 }
                    }
                    let na = Double(done), nbd = Double(nb), nt = na + nbd
                    for c in 0..<f {
                        let delta = bm[c] - mu[c]
                        mu[c] += delta * (nbd / nt)
                        q[c] += bq[c] + delta * delta * (na * nbd / nt)
                    }
                    done += nb
                }
            }
            }
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
