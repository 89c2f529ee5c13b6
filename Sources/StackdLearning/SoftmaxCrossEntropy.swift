#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The penalised multinomial log-likelihood scikit-learn's `LogisticRegression(lbfgs)` minimises,
/// as a `DifferentiableObjective` for `LBFGS`.
///
/// Parameters are laid out like scikit-learn's internal `(K, F+1)` coefficient block: class `k`
/// owns `θ[k(F+1) ..< k(F+1)+F]` (weights) followed by its intercept. The value is divided by the
/// row count, exactly as scikit-learn scales it, so the gradient tolerance means the same thing
/// (`tol=1e-8` on the largest component of the mean-loss gradient).
///
/// Loss and gradient come out of one fused sweep over the rows: each row is read once per class
/// for the logits and once more for the gradient update while it is still in cache.
///
/// This scalar form is the reference the tests check `BlockedSoftmaxCrossEntropy` against; the
/// fit itself uses the blocked BLAS evaluation (same objective, no standardised copy of X).
struct SoftmaxCrossEntropy: DifferentiableObjective {
    let x: UnsafePointer<Double>
    let y: UnsafePointer<Int>
    let rows: Int
    let features: Int
    let classes: Int
    /// 1/C: strength of ½‖W‖² in the un-normalised objective.
    let inverseC: Double
    /// Per-feature factor s_j in the penalty ½(1/C)Σ(θ_kj·s_j)²; nil means all 1. Solving in
    /// standardised coordinates while penalising raw-unit weights uses s_j = 1/σ_j, which makes the
    /// problem the same one in better-conditioned coordinates.
    let penaltyScale: UnsafePointer<Double>?
    /// Per-class logit scratch, owned by the caller for the whole fit.
    let logits: UnsafeMutablePointer<Double>

    var dimension: Int { classes * (features + 1) }

    /// Σ_i −ln p_{y_i} + ½(1/C)‖W‖²_F (un-normalised), writing the un-normalised gradient if asked.
    func sumObjective(_ theta: UnsafePointer<Double>, gradient: UnsafeMutablePointer<Double>?) -> Double {
        let F = features, K = classes, stride = F + 1
        if let gr = gradient {
            var i = 0
            while i < K * stride { gr[i] = 0; i += 1 }
        }
        var loss = 0.0
        var r = 0
        var row = x
        while r < rows {
            // Logits.
            var zmax = -Double.infinity
            var k = 0
            while k < K {
                let w = theta + k * stride
                var z = w[F]
                var j = 0
                while j < F { z += w[j] * row[j]; j += 1 }
                logits[k] = z
                if z > zmax { zmax = z }
                k += 1
            }
            // Stable log-sum-exp; logits become exp(z − zmax).
            let label = y[r]
            let zLabel = logits[label]
            var sum = 0.0
            k = 0
            while k < K {
                let e = exp(logits[k] - zmax)
                logits[k] = e
                sum += e
                k += 1
            }
            loss += zmax + log(sum) - zLabel
            if let gr = gradient {
                let inv = 1 / sum
                k = 0
                while k < K {
                    let res = logits[k] * inv - (k == label ? 1 : 0)
                    let gw = gr + k * stride
                    var j = 0
                    while j < F { gw[j] += res * row[j]; j += 1 }
                    gw[F] += res
                    k += 1
                }
            }
            row += F
            r += 1
        }
        var pen = 0.0
        var k = 0
        while k < K {
            let w = theta + k * stride
            var j = 0
            while j < F {
                let s2 = penaltyScale.map { $0[j] * $0[j] } ?? 1
                pen += s2 * w[j] * w[j]
                if let gr = gradient { gr[k * stride + j] += inverseC * s2 * w[j] }
                j += 1
            }
            k += 1
        }
        return loss + 0.5 * inverseC * pen
    }

    mutating func evaluate(_ theta: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        Self.mean(ofSum: sumObjective(theta.baseAddress!, gradient: gradient.baseAddress!), rows: rows, gradient: gradient)
    }
}

