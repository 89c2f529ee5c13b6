import COpenBLAS

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The objective scikit-learn's `MLPClassifier(solver="lbfgs")` minimises for one hidden layer
/// and a softmax output, as a `DifferentiableObjective` for ``LBFGS``:
///
///     f(θ) = (1/N)·Σ_i −ln p_{y_i}(x_i; θ) + (α / 2N)·(‖W₁‖² + ‖W₂‖²)      (biases unpenalised)
///
/// Parameters follow ``MLPParameterLayout``. They live in solver coordinates x̃_j = (x_j − μ_j)·s_j
/// (μ = 0, s = 1 without standardisation); as in ``BlockedSoftmaxCrossEntropy`` the affine map is
/// folded into the first layer (W₁ᵣ[j,h] = s_j·W₁[j,h], b₁ᵣ = b₁ − Σ_j μ_j·W₁ᵣ[j,·]) so X is never
/// copied, and the penalty measures W₁ in the solver's coordinates.
///
/// Per block of B rows (row-major throughout), four GEMMs:
///
///     A  = act(X_b·W₁ᵣ + b₁)        B×H      forward
///     P  = softmax(A·W₂ + b₂)       B×K
///     D₂ = P − Y;  ∇W₂ += Aᵀ·D₂;  ∇b₂ += Σ_rows D₂
///     D₁ = (D₂·W₂ᵀ) ⊙ act′(A);  ∇W₁ᵣ += X_bᵀ·D₁;  ∇b₁ += Σ_rows D₁
///
/// then ∇W₁[j,h] = s_j·(∇W₁ᵣ[j,h] − μ_j·∇b₁[h]). The log-likelihood is computed by log-sum-exp
/// (scikit-learn clips p to [ε, 1 − ε] first; the two differ only where p < 2.2e-16) and summed
/// with Kahan compensation, since near the optimum the line search compares values that agree to
/// about 13 digits. Every buffer is allocated in `init`; `evaluate` allocates nothing.
struct MLPCrossEntropy: DifferentiableObjective {
    let x: UnsafePointer<Double>
    let y: UnsafePointer<Int>
    let rows: Int
    let layout: MLPParameterLayout
    let activation: MLPActivation
    /// scikit-learn's `alpha`: the penalty is α/(2N)·‖W‖².
    let alpha: Double
    let blockRows: Int

    private let slab: UnsafeMutablePointer<Double>
    private let w1: UnsafeMutablePointer<Double>   // F×H, raw units
    private let b1: UnsafeMutablePointer<Double>   // H, raw units
    private let gw1: UnsafeMutablePointer<Double>  // F×H, raw units
    private let gb1: UnsafeMutablePointer<Double>  // H
    private let mu: UnsafeMutablePointer<Double>   // F
    private let s: UnsafeMutablePointer<Double>    // F
    private let a: UnsafeMutablePointer<Double>    // B×H activations
    private let z: UnsafeMutablePointer<Double>    // B×K logits → probabilities → D₂
    private let d1: UnsafeMutablePointer<Double>   // B×H

    var dimension: Int { layout.count }

    /// - Parameters:
    ///   - means, inverseScales: solver coordinates x̃ = (x − μ)·s; nil means μ = 0, s = 1.
    /// Call `deallocate()` when done.
    init(x: UnsafePointer<Double>, y: UnsafePointer<Int>, rows: Int, layout: MLPParameterLayout,
         activation: MLPActivation, alpha: Double, means: UnsafePointer<Double>?,
         inverseScales: UnsafePointer<Double>?, blockRows: Int? = nil) {
        _ = openBLASSingleThreaded
        let F = layout.features, H = layout.hidden, K = layout.classes
        let B = max(1, min(blockRows ?? max(256, min(4096, (1 << 15) / max(1, F + H))), max(1, rows)))
        self.x = x; self.y = y; self.rows = rows; self.layout = layout
        self.activation = activation; self.alpha = alpha; self.blockRows = B
        let count = 2 * F * H + 2 * H + 2 * F + 2 * B * H + B * K
        slab = .allocate(capacity: count)
        slab.initialize(repeating: 0, count: count)
        w1 = slab; b1 = w1 + F * H; gw1 = b1 + H; gb1 = gw1 + F * H
        mu = gb1 + H; s = mu + F; a = s + F; z = a + B * H; d1 = z + B * K
        for j in 0..<F { mu[j] = means?[j] ?? 0; s[j] = inverseScales?[j] ?? 1 }
    }

    func deallocate() { slab.deallocate() }

    /// Σ_i −ln p_{y_i} over the rows (no penalty); with `gradient`, also writes the gradient of
    /// that sum plus ½α‖W‖² (un-normalised) and returns the sum plus the penalty.
    func sumObjective(_ theta: UnsafePointer<Double>, gradient gr: UnsafeMutablePointer<Double>?) -> Double {
        let F = layout.features, H = layout.hidden, K = layout.classes
        let tw1 = theta + layout.hiddenWeights.lowerBound, tb1 = theta + layout.hiddenBiases.lowerBound
        let w2 = theta + layout.outputWeights.lowerBound, b2 = theta + layout.outputBiases.lowerBound
        // Fold the solver coordinates into raw-unit first-layer parameters.
        for h in 0..<H { b1[h] = tb1[h] }
        for j in 0..<F {
            let sj = s[j], mj = mu[j]
            var h = 0
            while h < H { let v = tw1[j * H + h] * sj; w1[j * H + h] = v; b1[h] -= v * mj; h += 1 }
        }
        let gw2 = gr.map { $0 + layout.outputWeights.lowerBound }
        let gb2 = gr.map { $0 + layout.outputBiases.lowerBound }
        if let gr {
            gr.update(repeating: 0, count: layout.count)
            gw1.update(repeating: 0, count: F * H)
            gb1.update(repeating: 0, count: H)
        }

        var loss = 0.0, carry = 0.0
        var r0 = 0
        while r0 < rows {
            let nb = min(blockRows, rows - r0)
            let xb = x + r0 * F
            // A = act(X_b·W₁ᵣ + b₁)
            if F > 0 {
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(nb), Int32(H), Int32(F),
                            1, xb, Int32(F), w1, Int32(H), 0, a, Int32(H))
            } else {
                a.update(repeating: 0, count: nb * H)
            }
            for i in 0..<nb {
                let ai = a + i * H
                var h = 0
                while h < H { ai[h] += b1[h]; h += 1 }
            }
            activation.apply(a, count: nb * H)
            // Z = A·W₂ + b₂, then softmax and D₂ = P − Y in place.
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(nb), Int32(K), Int32(H),
                        1, a, Int32(H), w2, Int32(K), 0, z, Int32(K))
            for i in 0..<nb {
                let zi = z + i * K
                var zmax = -Double.infinity
                var k = 0
                while k < K { zi[k] += b2[k]; if zi[k] > zmax { zmax = zi[k] }; k += 1 }
                let label = y[r0 + i]
                let zLabel = zi[label]
                var sum = 0.0
                k = 0
                while k < K { let e = exp(zi[k] - zmax); zi[k] = e; sum += e; k += 1 }
                let term = (zmax + log(sum) - zLabel) - carry
                let next = loss + term
                carry = (next - loss) - term
                loss = next
                if let gb2 {
                    let inv = 1 / sum
                    k = 0
                    while k < K { let d = zi[k] * inv - (k == label ? 1 : 0); zi[k] = d; gb2[k] += d; k += 1 }
                }
            }
            if let gw2 {
                // ∇W₂ += Aᵀ·D₂
                cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(H), Int32(K), Int32(nb),
                            1, a, Int32(H), z, Int32(K), 1, gw2, Int32(K))
                // D₁ = (D₂·W₂ᵀ) ⊙ act′(A)
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(nb), Int32(H), Int32(K),
                            1, z, Int32(K), w2, Int32(K), 0, d1, Int32(H))
                activation.multiplyByDerivative(d1, activated: a, count: nb * H)
                for i in 0..<nb {
                    let di = d1 + i * H
                    var h = 0
                    while h < H { gb1[h] += di[h]; h += 1 }
                }
                // ∇W₁ᵣ += X_bᵀ·D₁
                if F > 0 {
                    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(F), Int32(H), Int32(nb),
                                1, xb, Int32(F), d1, Int32(H), 1, gw1, Int32(H))
                }
            }
            r0 += nb
        }
        guard let gr else { return loss }

        // Back to solver coordinates, plus the penalty ½α(‖W₁‖² + ‖W₂‖²).
        var penalty = 0.0
        let g1 = gr + layout.hiddenWeights.lowerBound, gbias1 = gr + layout.hiddenBiases.lowerBound
        for j in 0..<F {
            let sj = s[j], mj = mu[j]
            var h = 0
            while h < H {
                let t = tw1[j * H + h]
                penalty += t * t
                g1[j * H + h] = sj * (gw1[j * H + h] - mj * gb1[h]) + alpha * t
                h += 1
            }
        }
        for h in 0..<H { gbias1[h] = gb1[h] }
        var i = 0
        while i < H * K { let t = w2[i]; penalty += t * t; gw2![i] += alpha * t; i += 1 }
        return loss + 0.5 * alpha * penalty
    }

    mutating func evaluate(_ theta: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        Self.mean(ofSum: sumObjective(theta.baseAddress!, gradient: gradient.baseAddress!), rows: rows, gradient: gradient)
    }

    /// Mean −ln p_y over the rows at θ, without the penalty: the early-stopping score.
    func meanLogLoss(_ theta: UnsafePointer<Double>) -> Double {
        rows == 0 ? 0 : sumObjective(theta, gradient: nil) / Double(rows)
    }
}
