#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Quantiles of the null distributions the monitors test against. Implemented here because the
/// core has no numerics dependency, and because the thresholds must follow the window sizes
/// actually configured instead of fixed conventions (PSI 0.10 / 0.25 fire on identical data at
/// small windows).
public enum NullDistribution {
    /// Standard normal quantile Φ⁻¹(p), Acklam's rational approximation refined by one Halley
    /// step (relative error below 1e-12 on (0, 1)).
    public static func normalQuantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "p must be in (0, 1)")
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5, r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log(1 - p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let e = 0.5 * erfc(-x / 2.0.squareRoot()) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }

    /// χ²(df) quantile by Wilson–Hilferty: (χ²/df)^(1/3) is close to normal with mean
    /// 1 − 2/(9df) and variance 2/(9df). Within about 1% of the exact quantile for df ≥ 3 at
    /// the tail probabilities used for alarms, which is far inside the simulation's tolerance.
    public static func chiSquaredQuantile(_ p: Double, degreesOfFreedom df: Int) -> Double {
        precondition(df >= 1, "degrees of freedom must be positive")
        let k = Double(df)
        let v = 2 / (9 * k)
        let t = 1 - v + normalQuantile(p) * v.squareRoot()
        return k * t * t * t
    }

    /// The 1 − α quantile of PSI between a window of `n` values and a reference of `m` values over
    /// `bins` bins when both come from one distribution: PSI ≈ (1/n + 1/m)·χ²(bins − 1).
    public static func psiThreshold(alpha: Double, bins: Int, windowCount n: Int, referenceCount m: Int) -> Double {
        precondition(bins >= 2 && n > 0 && m > 0, "bad PSI threshold arguments")
        return chiSquaredQuantile(1 - alpha, degreesOfFreedom: bins - 1) * (1 / Double(n) + 1 / Double(m))
    }
}
