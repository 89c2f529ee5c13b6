/// Limited-memory BFGS with a strong-Wolfe line search.
///
/// Written here rather than bound from a native library so the meta-learner is pure Swift and
/// reproducible bit-for-bit across machines. The stopping rules mirror SciPy's L-BFGS-B as used by
/// scikit-learn (`gtol` on the largest gradient component, `ftol` on the relative decrease), so a
/// fit reaches the same minimiser scikit-learn reports.
public struct LBFGS: Sendable {
    /// Tuning knobs; the defaults follow scikit-learn's `LogisticRegression(solver="lbfgs")`.
    public struct Options: Sendable, Equatable, Codable {
        /// Number of (s, y) correction pairs kept.
        public var historySize: Int
        /// Stop when max_i |∂f/∂x_i| ≤ this.
        public var gradientTolerance: Double
        /// Stop when (f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ this.
        public var relativeDecreaseTolerance: Double
        /// Iteration cap (one iteration = one accepted line-search step).
        public var maxIterations: Int
        /// Function evaluations allowed per line search.
        public var maxLineSearchEvaluations: Int
        /// Sufficient-decrease constant of the Wolfe conditions.
        public var c1: Double
        /// Curvature constant of the Wolfe conditions.
        public var c2: Double

        /// Settings; every default matches scikit-learn's lbfgs call.
        public init(historySize: Int = 10, gradientTolerance: Double = 1e-8,
                    relativeDecreaseTolerance: Double = 64 * Double.ulpOfOne,
                    maxIterations: Int = 10_000, maxLineSearchEvaluations: Int = 50,
                    c1: Double = 1e-4, c2: Double = 0.9) {
            self.historySize = historySize
            self.gradientTolerance = gradientTolerance
            self.relativeDecreaseTolerance = relativeDecreaseTolerance
            self.maxIterations = maxIterations
            self.maxLineSearchEvaluations = maxLineSearchEvaluations
            self.c1 = c1
            self.c2 = c2
        }
    }

    /// Why the run stopped.
    public enum Termination: String, Sendable, Codable {
        case gradientTolerance, relativeDecrease, maxIterations, lineSearchFailed
        /// The thread's ``TrainingCancellation`` was cancelled (the daemon is stopping).
        case cancelled
    }

    /// Outcome of a run; the minimiser itself is written back into the caller's `x`.
    public struct Result: Sendable, Equatable, Codable {
        /// Objective value at the returned point.
        public var value: Double
        /// Accepted steps taken.
        public var iterations: Int
        /// Objective/gradient evaluations, line searches included.
        public var evaluations: Int
        /// Largest gradient component at the returned point.
        public var gradientMaxAbs: Double
        /// Why the run stopped.
        public var termination: Termination
        /// True when a tolerance (not a cap or a failure) ended the run.
        public var converged: Bool { termination == .gradientTolerance || termination == .relativeDecrease }
    }

    /// Settings of this optimiser.
    public var options: Options

    /// An optimiser with the given settings.
    public init(options: Options = Options()) { self.options = options }

    /// Correction pairs (s = Δx, y = Δ∇f), oldest first: the optimiser's curvature model.
    ///
    /// Handing a run the pairs of an earlier run on a closely related objective (the same loss on
    /// a subsample of the rows, say) starts it with a good inverse-Hessian model instead of a
    /// steepest-descent step; the minimiser and the stopping rules are unchanged.
    public struct CorrectionHistory: Sendable, Equatable {
        public var s: [[Double]] = []
        public var y: [[Double]] = []
        public init() {}
    }

    /// Minimises `objective` starting from `x`, overwriting `x` with the best point found.
    public func minimize<F: DifferentiableObjective>(_ objective: inout F, x: inout [Double]) -> Result {
        var history = CorrectionHistory()
        return minimize(&objective, x: &x, history: &history)
    }

    /// Minimises `objective` from `x` with the curvature pairs in `history` (kept only if they
    /// have the objective's dimension and positive curvature), and leaves the run's final pairs in
    /// `history`.
    public func minimize<F: DifferentiableObjective>(_ objective: inout F, x: inout [Double],
                                                     history: inout CorrectionHistory) -> Result {
        let n = objective.dimension
        precondition(x.count == n, "starting point has \(x.count) entries, objective wants \(n)")
        let m = max(1, options.historySize)
        // One slab for every work vector: nothing is allocated inside the loop.
        let slab = UnsafeMutablePointer<Double>.allocate(capacity: n * (5 + 2 * m) + 2 * m)
        slab.initialize(repeating: 0, count: n * (5 + 2 * m) + 2 * m)
        defer { slab.deallocate() }
        let xc = slab, g = slab + n, d = slab + 2 * n, xt = slab + 3 * n, gt = slab + 4 * n
        let sHist = slab + 5 * n, yHist = sHist + m * n
        let rho = yHist + m * n, alph = rho + m
        x.withUnsafeBufferPointer { src in for i in 0..<n { xc[i] = src[i] } }

        var evals = 1
        var f = objective.evaluate(UnsafeBufferPointer(start: xc, count: n),
                                   gradient: UnsafeMutableBufferPointer(start: g, count: n))
        var gmax = Self.maxAbs(g, n)
        var iter = 0
        var stored = 0, head = 0  // ring buffer of correction pairs
        for (sv, yv) in zip(history.s, history.y).suffix(m) where sv.count == n && yv.count == n {
            let sk = sHist + head * n, yk = yHist + head * n
            for i in 0..<n { sk[i] = sv[i]; yk[i] = yv[i] }
            let sy = Self.dot(sk, yk, n)
            guard sy > 0 else { continue }
            rho[head] = 1 / sy
            head = (head + 1) % m
            stored = min(stored + 1, m)
        }
        var termination: Termination = .maxIterations
        if gmax <= options.gradientTolerance { termination = .gradientTolerance }

        while termination == .maxIterations && iter < options.maxIterations {
            if TrainingCancellation.isCurrentCancelled { termination = .cancelled; break }
            // Two-loop recursion: d = −H g.
            for i in 0..<n { d[i] = -g[i] }
            var gamma = 1.0
            if stored > 0 {
                var k = head
                for _ in 0..<stored {
                    k = (k - 1 + m) % m
                    let a = rho[k] * Self.dot(sHist + k * n, d, n)
                    alph[k] = a
                    Self.axpy(-a, yHist + k * n, d, n)
                }
                let last = (head - 1 + m) % m
                let yy = Self.dot(yHist + last * n, yHist + last * n, n)
                gamma = 1 / (rho[last] * yy)
                for i in 0..<n { d[i] *= gamma }
                for _ in 0..<stored {
                    let b = rho[k] * Self.dot(yHist + k * n, d, n)
                    Self.axpy(alph[k] - b, sHist + k * n, d, n)
                    k = (k + 1) % m
                }
            }
            var dg = Self.dot(g, d, n)
            if !(dg < 0) {  // lost descent (numerical trouble): restart from steepest descent
                stored = 0; head = 0
                for i in 0..<n { d[i] = -g[i] }
                dg = Self.dot(g, d, n)
            }
            let step0 = stored == 0 ? min(1.0, 1.0 / Self.dot(d, d, n).squareRoot()) : 1.0

            var ls = LineSearch(n: n, x: xc, f: f, g: g, d: d, dg0: dg, xt: xt, gt: gt,
                                c1: options.c1, c2: options.c2, maxEvaluations: options.maxLineSearchEvaluations)
            let accepted = ls.run(&objective, initialStep: step0)
            evals += ls.evaluations
            guard let (step, fNew) = accepted else { termination = .lineSearchFailed; break }

            // The accepted point is in (xt, gt); form the correction pair, then adopt it.
            let sk = sHist + head * n, yk = yHist + head * n
            for i in 0..<n { sk[i] = step * d[i]; yk[i] = gt[i] - g[i] }
            let sy = Self.dot(sk, yk, n)
            if sy > 1e-10 * Self.dot(yk, yk, n).squareRoot() * Self.dot(sk, sk, n).squareRoot() && sy > 0 {
                rho[head] = 1 / sy
                head = (head + 1) % m
                stored = min(stored + 1, m)
            }
            for i in 0..<n { xc[i] = xt[i]; g[i] = gt[i] }
            let fOld = f
            f = fNew
            iter += 1
            gmax = Self.maxAbs(g, n)
            if gmax <= options.gradientTolerance {
                termination = .gradientTolerance
            } else if (fOld - f) / max(abs(fOld), abs(f), 1) <= options.relativeDecreaseTolerance {
                termination = .relativeDecrease
            }
        }
        x.withUnsafeMutableBufferPointer { dst in for i in 0..<n { dst[i] = xc[i] } }
        history = CorrectionHistory()
        var k = (head - stored + m) % m
        for _ in 0..<stored {
            history.s.append(Array(UnsafeBufferPointer(start: sHist + k * n, count: n)))
            history.y.append(Array(UnsafeBufferPointer(start: yHist + k * n, count: n)))
            k = (k + 1) % m
        }
        return Result(value: f, iterations: iter, evaluations: evals, gradientMaxAbs: gmax, termination: termination)
    }

    @inline(__always) static func dot(_ a: UnsafeMutablePointer<Double>, _ b: UnsafeMutablePointer<Double>, _ n: Int) -> Double {
        var s = 0.0
        var i = 0
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    @inline(__always) static func axpy(_ a: Double, _ x: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) {
        var i = 0
        while i < n { y[i] += a * x[i]; i += 1 }
    }

    @inline(__always) static func maxAbs(_ a: UnsafeMutablePointer<Double>, _ n: Int) -> Double {
        var s = 0.0
        var i = 0
        while i < n { s = max(s, abs(a[i])); i += 1 }
        return s
    }
}

/// Strong-Wolfe bracketing/zoom line search (Nocedal & Wright, Algorithms 3.5 and 3.6) with
/// safeguarded cubic interpolation. Trial points are written into caller buffers `xt`/`gt`; on
/// success they hold the accepted point.
struct LineSearch {
    let n: Int
    let x: UnsafeMutablePointer<Double>
    let f0: Double
    let g: UnsafeMutablePointer<Double>
    let d: UnsafeMutablePointer<Double>
    let dg0: Double
    let xt: UnsafeMutablePointer<Double>
    let gt: UnsafeMutablePointer<Double>
    let c1: Double
    let c2: Double
    let maxEvaluations: Int
    var evaluations = 0

    init(n: Int, x: UnsafeMutablePointer<Double>, f: Double, g: UnsafeMutablePointer<Double>,
         d: UnsafeMutablePointer<Double>, dg0: Double, xt: UnsafeMutablePointer<Double>,
         gt: UnsafeMutablePointer<Double>, c1: Double, c2: Double, maxEvaluations: Int) {
        self.n = n; self.x = x; self.f0 = f; self.g = g; self.d = d; self.dg0 = dg0
        self.xt = xt; self.gt = gt; self.c1 = c1; self.c2 = c2; self.maxEvaluations = maxEvaluations
    }

    /// φ(α) and φ'(α), leaving the trial point in (xt, gt).
    mutating func phi<F: DifferentiableObjective>(_ obj: inout F, _ a: Double) -> (Double, Double) {
        var i = 0
        while i < n { xt[i] = x[i] + a * d[i]; i += 1 }
        evaluations += 1
        let f = obj.evaluate(UnsafeBufferPointer(start: xt, count: n),
                             gradient: UnsafeMutableBufferPointer(start: gt, count: n))
        return (f, LBFGS.dot(gt, d, n))
    }

    /// Minimiser of the cubic through (a, fa, da) and (b, fb, db), kept inside [lo, hi].
    static func cubic(_ a: Double, _ fa: Double, _ da: Double, _ b: Double, _ fb: Double, _ db: Double,
                      lo: Double, hi: Double) -> Double {
        let d1 = da + db - 3 * (fa - fb) / (a - b)
        let disc = d1 * d1 - da * db
        var t = (lo + hi) / 2
        if disc >= 0 {
            let d2 = (b > a ? 1.0 : -1.0) * disc.squareRoot()
            let denom = db - da + 2 * d2
            if denom != 0 {
                let c = b - (b - a) * ((db + d2 - d1) / denom)
                if c.isFinite { t = c }
            }
        }
        return min(max(t, lo), hi)
    }

    /// Returns the accepted step and value, or nil if no acceptable point was found.
    mutating func run<F: DifferentiableObjective>(_ obj: inout F, initialStep: Double) -> (Double, Double)? {
        var aPrev = 0.0, fPrev = f0, dPrev = dg0
        var a = initialStep
        var first = true
        while evaluations < maxEvaluations {
            let (fa, da) = phi(&obj, a)
            if !fa.isFinite {  // overshoot into overflow: shrink and retry
                a = (aPrev + a) / 2
                continue
            }
            if fa > f0 + c1 * a * dg0 || (!first && fa >= fPrev) {
                return zoom(&obj, lo: (aPrev, fPrev, dPrev), hi: (a, fa, da))
            }
            if abs(da) <= -c2 * dg0 { return (a, fa) }
            if da >= 0 {
                return zoom(&obj, lo: (a, fa, da), hi: (aPrev, fPrev, dPrev))
            }
            first = false
            let next = LineSearch.cubic(aPrev, fPrev, dPrev, a, fa, da, lo: a * 1.1, hi: a * 4)
            aPrev = a; fPrev = fa; dPrev = da
            a = next
        }
        return nil
    }

    mutating func zoom<F: DifferentiableObjective>(
        _ obj: inout F, lo loIn: (Double, Double, Double), hi hiIn: (Double, Double, Double)
    ) -> (Double, Double)? {
        var lo = loIn, hi = hiIn
        while evaluations < maxEvaluations {
            let width = hi.0 - lo.0
            let left = min(lo.0, hi.0), right = max(lo.0, hi.0)
            let margin = 0.1 * abs(width)
            let a = LineSearch.cubic(lo.0, lo.1, lo.2, hi.0, hi.1, hi.2, lo: left + margin, hi: right - margin)
            if abs(width) <= 1e-16 * max(1, abs(lo.0)) { break }
            let (fa, da) = phi(&obj, a)
            if !fa.isFinite || fa > f0 + c1 * a * dg0 || fa >= lo.1 {
                hi = (a, fa.isFinite ? fa : .greatestFiniteMagnitude, da.isFinite ? da : 0)
            } else {
                if abs(da) <= -c2 * dg0 { return (a, fa) }
                if da * (hi.0 - lo.0) >= 0 { hi = lo }
                lo = (a, fa, da)
            }
        }
        // Could not satisfy the curvature condition; accept the best decreasing point if any.
        if lo.0 > 0 && lo.1 < f0 {
            let (fa, _) = phi(&obj, lo.0)
            return (lo.0, fa)
        }
        return nil
    }
}
