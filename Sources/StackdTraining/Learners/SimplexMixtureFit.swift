import Foundation
import StackdLearning

/// Maximum-likelihood mixture weights on the simplex: maximise L(w) = mean_i ln(Σ_j w_j·q_ij)
/// over w ≥ 0, Σ_j w_j = 1, for a row-by-component matrix q of (positive) label probabilities.
///
/// L is concave, so a point satisfying the KKT conditions is the global optimum: with
/// r_j = mean_i(q_ij / p_i) (the gradient; Σ_j w_j·r_j = 1 always), r_j = 1 where w_j > 0 and
/// r_j ≤ 1 where w_j = 0. Solved by an active-set Newton method: on the components in play, the
/// Newton step of L constrained to Σ d = 0, a backtracking (Armijo) line search cut at the first
/// weight to reach 0 (which then leaves the set), and components with r_j > 1 brought back in.
/// A handful of iterations where EM (the multiplicative update) would need thousands on the
/// strongly collinear base-model columns.
enum SimplexMixtureFit {
    struct Result {
        var weights: [Double]
        var iterations: Int
        var converged: Bool
    }

    static func solve(q: [Double], rows n: Int, components J: Int, tolerance: Double = 1e-9,
                      maxIterations: Int = 200) -> Result {
        precondition(q.count == n * J && J > 0, "q must be N × J")
        var w = [Double](repeating: 1 / Double(J), count: J)
        guard n > 0, J > 1 else { return Result(weights: w, iterations: 0, converged: true) }
        let floor = Metrics.logLossEpsilon
        var inPlay = [Bool](repeating: true, count: J)

        func logLikelihood(_ w: [Double]) -> Double {
            var s = 0.0
            for i in 0..<n {
                var p = 0.0
                for c in 0..<J { p += w[c] * q[i * J + c] }
                s += log(max(p, floor))
            }
            return s / Double(n)
        }

        var r = [Double](repeating: 0, count: J)
        var H = [Double](repeating: 0, count: J * J)
        var current = logLikelihood(w)
        for iteration in 1...maxIterations {
            for c in 0..<J { r[c] = 0 }
            for c in 0..<(J * J) { H[c] = 0 }
            for i in 0..<n {
                var p = 0.0
                for c in 0..<J { p += w[c] * q[i * J + c] }
                let inv = 1 / max(p, floor)
                for a in 0..<J {
                    let qa = q[i * J + a] * inv
                    r[a] += qa
                    for b in a..<J { H[a * J + b] += qa * q[i * J + b] * inv }
                }
            }
            for a in 0..<J {
                r[a] /= Double(n)
                for b in a..<J { H[a * J + b] /= Double(n); H[b * J + a] = H[a * J + b] }
            }
            var violation = 0.0
            for c in 0..<J { violation = max(violation, w[c] > 0 ? abs(r[c] - 1) : r[c] - 1) }
            if violation < tolerance { return Result(weights: w, iterations: iteration - 1, converged: true) }
            for c in 0..<J where !inPlay[c] && r[c] > 1 + tolerance { inPlay[c] = true }

            // Newton direction on the components in play; a zero weight the step would push
            // negative leaves the set and the direction is recomputed.
            var d = [Double](repeating: 0, count: J)
            while true {
                let S = (0..<J).filter { inPlay[$0] }
                guard let step = newtonStep(H: H, r: r, J: J, set: S) else { return Result(weights: w, iterations: iteration, converged: false) }
                d = [Double](repeating: 0, count: J)
                for (k, c) in S.enumerated() { d[c] = step[k] }
                let blocked = S.filter { w[$0] <= 0 && d[$0] < 0 }
                if blocked.isEmpty { break }
                for c in blocked { inPlay[c] = false }
                if !inPlay.contains(true) { return Result(weights: w, iterations: iteration, converged: false) }
            }
            var slope = 0.0
            for c in 0..<J { slope += r[c] * d[c] }
            if slope <= 0 { return Result(weights: w, iterations: iteration, converged: violation < 1e-6) }
            // The largest step that keeps every weight non-negative, and which weight stops it.
            var alphaMax = Double.infinity, stopper = -1
            for c in 0..<J where d[c] < 0 {
                let a = w[c] / -d[c]
                if a < alphaMax { alphaMax = a; stopper = c }
            }
            var alpha = min(1, alphaMax)
            var next = w, value = current
            for _ in 0..<60 {
                for c in 0..<J { next[c] = max(0, w[c] + alpha * d[c]) }
                if alpha == alphaMax, stopper >= 0 { next[stopper] = 0 }
                value = logLikelihood(next)
                if value >= current + 1e-4 * alpha * slope { break }
                alpha /= 2
            }
            if value < current { return Result(weights: w, iterations: iteration, converged: false) }
            if alpha == alphaMax, stopper >= 0 { inPlay[stopper] = false }
            let total = next.reduce(0, +)
            w = next.map { $0 / total }
            current = logLikelihood(w)
        }
        return Result(weights: w, iterations: maxIterations, converged: false)
    }

    /// Solves [H_SS 1; 1ᵀ 0]·[d; ν] = [r_S; 0] (Gaussian elimination, partial pivoting, a tiny
    /// ridge for collinear components); nil when singular.
    static func newtonStep(H: [Double], r: [Double], J: Int, set S: [Int]) -> [Double]? {
        let m = S.count, size = m + 1
        var A = [Double](repeating: 0, count: size * (size + 1))
        var trace = 0.0
        for c in S { trace += H[c * J + c] }
        let ridge = 1e-12 * max(trace / Double(max(m, 1)), 1e-300)
        for (a, ca) in S.enumerated() {
            for (b, cb) in S.enumerated() { A[a * (size + 1) + b] = H[ca * J + cb] + (a == b ? ridge : 0) }
            A[a * (size + 1) + m] = 1
            A[a * (size + 1) + size] = r[ca]
            A[m * (size + 1) + a] = 1
        }
        for col in 0..<size {
            var pivot = col
            for row in col..<size where abs(A[row * (size + 1) + col]) > abs(A[pivot * (size + 1) + col]) { pivot = row }
            guard abs(A[pivot * (size + 1) + col]) > 1e-300 else { return nil }
            if pivot != col { for k in 0...size { A.swapAt(col * (size + 1) + k, pivot * (size + 1) + k) } }
            for row in 0..<size where row != col {
                let f = A[row * (size + 1) + col] / A[col * (size + 1) + col]
                if f != 0 { for k in col...size { A[row * (size + 1) + k] -= f * A[col * (size + 1) + k] } }
            }
        }
        return (0..<m).map { A[$0 * (size + 1) + size] / A[$0 * (size + 1) + $0] }
    }
}
