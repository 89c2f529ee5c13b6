#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Temperature scaling: q = softmax(log p / T) with one T > 0 fitted by maximum likelihood.
///
/// One parameter cannot overfit a small calibration window and it never changes the arg-max, so
/// the trading decision is untouched and only confidence (sizing, downstream log-loss) moves.
/// T > 1 softens an over-confident model, T < 1 sharpens an under-confident one.
public struct TemperatureScaling: ProbabilityCalibrator, Equatable, Codable {
    /// The fitted temperature, in `[minimumTemperature, maximumTemperature]`.
    public let temperature: Double
    /// Number of classes the calibrator applies to.
    public let classCount: Int

    /// Bounds of the search. Unbounded, T runs to infinity on anti-informative scores and to 0 on
    /// separable ones; both ends are degenerate artifacts, so the fit stops at these limits.
    public static let minimumTemperature = 0.01
    public static let maximumTemperature = 100.0
    /// Floor on probabilities before the logarithm (the log-loss floor of `Metrics`), so a zero
    /// probability stays finite and still ranks last.
    public static let probabilityFloor = Metrics.logLossEpsilon

    /// A calibrator with a given temperature (T = 1 is the identity on strictly positive vectors).
    public init(temperature: Double, classCount: Int) {
        precondition(temperature > 0 && temperature.isFinite, "temperature must be positive and finite")
        precondition(classCount >= 2, "need at least two classes")
        self.temperature = temperature
        self.classCount = classCount
    }

    /// Fits T minimising the weighted mean log-loss of softmax(log p / T) on `P` (`N × K`).
    ///
    /// With s = 1/T the objective L(s) = mean[lse(s·z) − s·z_y] (z = log p) is convex, with
    /// L′(s) = mean[E_q z − z_y] and L″(s) = mean[Var_q z] ≥ 0, so a Newton iteration safeguarded
    /// by a bisection bracket on L′ converges quadratically; it stops when a step moves s by less
    /// than 1e-13 relative (T to well under 1e-10).
    public init(fitting P: Matrix, labels: [Int], weights: [Double]? = nil) throws {
        precondition(P.cols >= 2, "need at least two classes")
        try validateCalibrationSet(rows: P.rows, classes: P.cols, labels: labels, weights: weights)
        let K = P.cols
        var z = [Double](repeating: 0, count: P.rows * K)
        for i in 0..<z.count {
            let v = P.storage[i]
            guard v.isFinite else { throw CalibrationError.nonFiniteInput }
            z[i] = log(max(v, Self.probabilityFloor))
        }
        let sLow = 1 / Self.maximumTemperature, sHigh = 1 / Self.minimumTemperature
        let derivatives = { (s: Double) -> (Double, Double) in
            Self.derivatives(s: s, z: z, classes: K, labels: labels, weights: weights)
        }
        var s: Double
        if derivatives(sLow).0 >= 0 {
            s = sLow
        } else if derivatives(sHigh).0 <= 0 {
            s = sHigh
        } else {
            var lo = sLow, hi = sHigh
            s = 1
            for _ in 0..<200 {
                let (g, h) = derivatives(s)
                if g == 0 { break }
                if g > 0 { hi = s } else { lo = s }
                var next = h > 0 ? s - g / h : .nan
                if !(next > lo && next < hi) { next = 0.5 * (lo + hi) }
                let done = abs(next - s) <= 1e-13 * s || hi - lo <= 1e-15 * s
                s = next
                if done { break }
            }
        }
        self.init(temperature: 1 / s, classCount: K)
    }

    /// First and second derivative of the mean log-loss in s = 1/T.
    static func derivatives(s: Double, z: [Double], classes K: Int, labels: [Int],
                            weights: [Double]?) -> (Double, Double) {
        var g = 0.0, h = 0.0, wsum = 0.0
        for i in labels.indices {
            let w = weights?[i] ?? 1
            if w == 0 { continue }
            let base = i * K
            var m = -Double.infinity
            for c in 0..<K { m = max(m, s * z[base + c]) }
            var sum = 0.0, ez = 0.0, ez2 = 0.0
            for c in 0..<K {
                let zc = z[base + c]
                let e = exp(s * zc - m)
                sum += e; ez += e * zc; ez2 += e * zc * zc
            }
            ez /= sum; ez2 /= sum
            g += w * (ez - z[base + labels[i]])
            h += w * max(ez2 - ez * ez, 0)
            wsum += w
        }
        return (g / wsum, h / wsum)
    }

    /// Weighted mean log-loss of softmax(log p / T) on `P`: the objective the fit minimises.
    public static func logLoss(temperature T: Double, probabilities P: Matrix, labels: [Int],
                               weights: [Double]? = nil) -> Double {
        precondition(P.rows == labels.count, "length mismatch")
        let K = P.cols
        var total = 0.0, wsum = 0.0
        for i in 0..<P.rows {
            let w = weights?[i] ?? 1
            var m = -Double.infinity
            for c in 0..<K { m = max(m, log(max(P[i, c], probabilityFloor)) / T) }
            var sum = 0.0
            for c in 0..<K { sum += exp(log(max(P[i, c], probabilityFloor)) / T - m) }
            total += w * (m + log(sum) - log(max(P[i, labels[i]], probabilityFloor)) / T)
            wsum += w
        }
        return total / wsum
    }

    /// softmax(log(max(p, floor)) / T), computed in `out` without allocating.
    public func apply(_ p: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(p.count == classCount && out.count == classCount, "class count mismatch")
        let invT = 1 / temperature
        var m = -Double.infinity
        for c in 0..<classCount {
            let v = log(max(p[c], Self.probabilityFloor)) * invT  // NaN stays NaN: caught below
            out[c] = v
            m = max(m, v)
        }
        for c in 0..<classCount { out[c] = exp(out[c] - m) }
        normaliseOrUniform(out)
    }
}
