import COpenBLAS

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// OpenBLAS is made single-threaded once per process, the first time a fit needs it.
///
/// The design matrices are tall and thin (N × 19…60, K = 3): both GEMMs of an evaluation are
/// memory-bound and tiny in K, so a second BLAS thread never helps on the 2-core targets and
/// competes with the daemon's ingest thread. This is a
/// process-wide OpenBLAS setting; nothing else in stackd calls BLAS.
let openBLASSingleThreaded: Void = { openblas_set_num_threads(1) }()

/// The same penalised multinomial log-likelihood as `SoftmaxCrossEntropy` (which stays as the
/// scalar reference), evaluated in row blocks with BLAS and without a standardised copy of X.
///
/// The solver's parameters θ live in centred, scaled coordinates x̃_j = (x_j − μ_j)·s_j
/// (s_j = 1/σ_j; μ = 0, s = 1 when not preconditioning), laid out like scikit-learn's `(K, F+1)`
/// block. Instead of materialising X̃, the affine map is folded into the coefficients:
///
///     z_k = Σ_j θ_kj·x̃_j + θ_kF = Σ_j W_kj·x_j + b_k,  W_kj = θ_kj·s_j,  b_k = θ_kF − Σ_j W_kj·μ_j
///     ∂/∂θ_kj = s_j·(Σ_i r_ik·x_ij − μ_j·Σ_i r_ik),      ∂/∂θ_kF = Σ_i r_ik,  r = P − Y
///
/// Per block of B rows (X_b read from memory once, then from cache):
/// `Z = X_b·Wᵀ` (dgemm), `+ b`, stable log-sum-exp per row (the maximum's `exp` is skipped: it is
/// 1), residuals `R = P − Y` (class-major), `G_W += Rᵀ·X_b` (dgemm). Both GEMMs are issued in the
/// column-major NN form, which OpenBLAS runs in its small-matrix kernel without packing X_b. The
/// row log-sum-exps cost one `log` per `logGroup` rows (log of the product of the row sums, each
/// in [1, K]); the loss is Kahan-summed. Every buffer is allocated once, in `init`; `evaluate`
/// allocates nothing.
///
/// Numerics: the folding changes only rounding. The logits and the centred gradient are formed
/// as differences of raw-unit quantities, so their absolute error grows like ε·|μ_j|/σ_j —
/// negligible against `gtol` unless a column's mean is many orders of magnitude above its spread
/// (not the case for the stacking features). In the tests the value and gradient agree with the
/// scalar reference on an explicitly standardised copy to 1e-13 relative / 1e-12 absolute.
struct BlockedSoftmaxCrossEntropy: DifferentiableObjective {
    let x: UnsafePointer<Double>
    let y: UnsafePointer<Int>
    let rows: Int
    let features: Int
    let classes: Int
    /// Row i of the objective is row i·rowStride of `x` and `y`: a strided subsample without a copy.
    let rowStride: Int
    /// 1/C: strength of ½‖W‖² in the un-normalised objective.
    let inverseC: Double
    /// Rows per block.
    let blockRows: Int
    /// Row sums multiplied together before one `log`: K^logGroup ≤ 2^1000.
    let logGroup: Int

    // One slab for parameters folded into raw units, their gradient, the affine map and the block.
    private let slab: UnsafeMutablePointer<Double>
    private let w: UnsafeMutablePointer<Double>       // K×F, column-major (w[j·K + k])
    private let b: UnsafeMutablePointer<Double>       // K
    private let gw: UnsafeMutablePointer<Double>      // K×F
    private let gb: UnsafeMutablePointer<Double>      // K
    private let mu: UnsafeMutablePointer<Double>      // F
    private let s: UnsafeMutablePointer<Double>       // F
    private let pen2: UnsafeMutablePointer<Double>    // F: squared penalty factor per feature
    private let z: UnsafeMutablePointer<Double>       // B×K logits, then exp(z − max)
    private let rt: UnsafeMutablePointer<Double>      // K×B residuals R = P − Y, class-major

    var dimension: Int { classes * (features + 1) }

    /// Rows per block: about 256 KiB of X (L2-resident between the two GEMMs), 256…4096 rows.
    static func defaultBlockRows(features: Int) -> Int {
        max(256, min(4096, (1 << 15) / max(1, features)))
    }

    /// - Parameters:
    ///   - means, inverseScales: the solver coordinates x̃ = (x − μ)·s; nil means μ = 0 / s = 1.
    ///   - penaltyScale: per-feature factor p_j in the penalty ½(1/C)Σ(θ_kj·p_j)²; nil means all 1.
    /// Call `deallocate()` when the fit is done.
    init(x: UnsafePointer<Double>, y: UnsafePointer<Int>, rows: Int, features: Int, classes: Int,
         inverseC: Double, means: UnsafePointer<Double>?, inverseScales: UnsafePointer<Double>?,
         penaltyScale: UnsafePointer<Double>?, blockRows: Int? = nil, rowStride: Int = 1) {
        _ = openBLASSingleThreaded
        let F = features, K = classes
        let B = max(1, min(blockRows ?? Self.defaultBlockRows(features: F), max(1, rows)))
        self.x = x; self.y = y; self.rows = rows; self.features = F; self.classes = K
        self.rowStride = max(1, rowStride)
        self.inverseC = inverseC; self.blockRows = B
        self.logGroup = max(1, min(256, Int(1000 / log2(Double(max(2, K))))))
        let count = 2 * K * F + 2 * K + 3 * F + 2 * B * K
        slab = .allocate(capacity: count)
        slab.initialize(repeating: 0, count: count)
        w = slab; b = w + K * F; gw = b + K; gb = gw + K * F
        mu = gb + K; s = mu + F; pen2 = s + F; z = pen2 + F; rt = z + B * K
        for j in 0..<F {
            mu[j] = means?[j] ?? 0
            s[j] = inverseScales?[j] ?? 1
            let p = penaltyScale?[j] ?? 1
            pen2[j] = p * p
        }
    }

    func deallocate() { slab.deallocate() }

    /// Σ_i −ln p_{y_i} + ½(1/C)Σ(θ_kj·p_j)² (un-normalised), writing the un-normalised gradient.
    func sumObjective(_ theta: UnsafePointer<Double>, gradient gr: UnsafeMutablePointer<Double>) -> Double {
        let F = features, K = classes, stride = F + 1
        // Fold the coordinates into raw-unit coefficients.
        for k in 0..<K {
            let t = theta + k * stride
            var bias = t[F]
            var j = 0
            while j < F { let v = t[j] * s[j]; w[j * K + k] = v; bias -= v * mu[j]; j += 1 }
            b[k] = bias
            gb[k] = 0
        }
        gw.update(repeating: 0, count: K * F)

        // Compensated (Kahan) sum of the per-row losses: near the optimum the line search compares
        // values that differ in the 13th digit, so summation noise must stay well below that.
        var loss = 0.0, lossCarry = 0.0
        @inline(__always) func accumulate(_ v: Double) {
            let term = v - lossCarry
            let next = loss + term
            lossCarry = (next - loss) - term
            loss = next
        }
        // Σ_i ln Σ_k e^(z_ik − max) as ln of products of up to `logGroup` row sums (each in [1, K],
        // so no overflow): one libm `log` per group instead of per row.
        var sumProduct = 1.0, inProduct = 0
        var r0 = 0
        while r0 < rows {
            let nb = min(blockRows, rows - r0)
            let xb = x + r0 * rowStride * F
            let ldx = Int32(rowStride * F)
            // Z = X_b · Wᵀ (row-major nb × K), i.e. column-major Z (K×nb) = W (K×F, column-major)
            // · X_bᵀ (F×nb, X_b as stored): the NN form, which OpenBLAS runs in its small-matrix
            // kernel without packing X_b (the row-major NoTrans/Trans call goes through dgemm_tn
            // and copies X_b on every call: a third of the evaluation in `perf`).
            if F > 0 {
                cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, Int32(K), Int32(nb), Int32(F),
                            1, w, Int32(K), xb, ldx, 0, z, Int32(K))
            } else {  // intercept-only model (BLAS rejects a leading dimension of 0)
                z.update(repeating: 0, count: nb * K)
            }
            // Stable log-sum-exp per row; Z becomes R = P − Y.
            var i = 0
            var zi = z
            while i < nb {
                var zmax = -Double.infinity
                var kmax = 0
                var k = 0
                while k < K { let v = zi[k] + b[k]; zi[k] = v; if v > zmax { zmax = v; kmax = k }; k += 1 }
                let label = y[(r0 + i) * rowStride]
                let zLabel = zi[label]
                // e^(z − max); the maximum's term is exactly 1, so it skips libm (K−1 calls per row).
                var sum = 0.0
                k = 0
                while k < K { let e = k == kmax ? 1 : exp(zi[k] - zmax); zi[k] = e; sum += e; k += 1 }
                accumulate(zmax - zLabel)
                sumProduct *= sum
                inProduct += 1
                if inProduct == logGroup { accumulate(log(sumProduct)); sumProduct = 1; inProduct = 0 }
                let inv = 1 / sum
                k = 0
                while k < K { let r = zi[k] * inv - (k == label ? 1 : 0); rt[k * blockRows + i] = r; gb[k] += r; k += 1 }
                zi += K
                i += 1
            }
            // G_W += Rᵀ · X_b, i.e. column-major G_Wᵀ (F×K) += X_bᵀ (F×nb, X_b as stored) · R (nb×K,
            // class-major): again the NN form, for the same reason.
            if F > 0 {
                cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, Int32(F), Int32(K), Int32(nb),
                            1, xb, ldx, rt, Int32(blockRows), 1, gw, Int32(F))
            }
            r0 += nb
        }
        if inProduct > 0 { accumulate(log(sumProduct)) }

        // Back to the solver's coordinates, plus the penalty.
        var pen = 0.0
        for k in 0..<K {
            let t = theta + k * stride, g = gr + k * stride, gwk = gw + k * F
            let gbk = gb[k]
            var j = 0
            while j < F {
                let tj = t[j]
                pen += pen2[j] * tj * tj
                g[j] = (gwk[j] - mu[j] * gbk) * s[j] + inverseC * pen2[j] * tj
                j += 1
            }
            g[F] = gbk
        }
        return loss + 0.5 * inverseC * pen
    }

    mutating func evaluate(_ theta: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        Self.mean(ofSum: sumObjective(theta.baseAddress!, gradient: gradient.baseAddress!), rows: rows, gradient: gradient)
    }
}
