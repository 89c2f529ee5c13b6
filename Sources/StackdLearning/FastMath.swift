/// Inline, branch-free `exp` and `log` for the softmax kernel, where libm's out-of-line calls
/// were the largest cost after BLAS (one `log` and K `exp` per row per evaluation).
///
/// Both are accurate to about 1 ulp on their domains (tested against libm): the objective they
/// produce differs from the libm one only by rounding, far below the 1e-6 conformance bound.
enum FastMath {
    /// e^x for x ≤ 0 (the softmax shifts logits by their row maximum). Below −745.2 the result
    /// underflows to 0, like libm. Cody–Waite reduction x = n·ln2 + r, |r| ≤ ln2/2, degree-13
    /// Taylor polynomial (truncation < 5e-18), 2^n applied in two halves so subnormal results work.
    @inline(__always)
    static func expNonPositive(_ x: Double) -> Double {
        let xc = x < -745.2 ? -745.2 : x
        let shifter = 6_755_399_441_055_744.0  // 1.5·2^52: adding it rounds to an integer in the low bits
        let t = xc * 1.4426950408889634 + shifter
        let n = t - shifter
        let r = (xc - n * 6.93147180369123816490e-01) - n * 1.90821492927058770002e-10
        var p = 1.0 / 6_227_020_800.0  // 1/13!
        p = p * r + 1.0 / 479_001_600.0
        p = p * r + 1.0 / 39_916_800.0
        p = p * r + 1.0 / 3_628_800.0
        p = p * r + 1.0 / 362_880.0
        p = p * r + 1.0 / 40_320.0
        p = p * r + 1.0 / 5_040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        let ni = Int64(bitPattern: t.bitPattern &- shifter.bitPattern)
        let n1 = ni >> 1, n2 = ni - n1
        let s1 = Double(bitPattern: UInt64(bitPattern: (n1 + 1023) << 52))
        let s2 = Double(bitPattern: UInt64(bitPattern: (n2 + 1023) << 52))
        return p * s1 * s2
    }

    /// ln x for positive, normal, finite x (the softmax calls it on Σ e^(z−max) ∈ [1, K]).
    /// x = 2^e·m with m ∈ [√½, √2), f = m − 1 exact, s = f/(2+f),
    /// ln m = f − s·(f − R(s²)) (fdlibm's form; R is the atanh series to s²⁰, truncation < 3e-17).
    @inline(__always)
    static func logPositive(_ x: Double) -> Double {
        let bits = x.bitPattern
        let m0 = Double(bitPattern: (bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000)
        let big = m0 > 1.4142135623730951
        let m = big ? m0 * 0.5 : m0
        let e = Double(Int64(bitPattern: (bits >> 52) & 0x7FF) - (big ? 1022 : 1023))
        let f = m - 1
        let s = f / (2 + f)
        let z = s * s
        var q = 2.0 / 21.0
        q = q * z + 2.0 / 19.0
        q = q * z + 2.0 / 17.0
        q = q * z + 2.0 / 15.0
        q = q * z + 2.0 / 13.0
        q = q * z + 2.0 / 11.0
        q = q * z + 2.0 / 9.0
        q = q * z + 2.0 / 7.0
        q = q * z + 2.0 / 5.0
        q = q * z + 2.0 / 3.0
        let R = q * z
        let lnm = f - s * (f - R)
        return e * 6.93147180369123816490e-01 + (lnm + e * 1.90821492927058770002e-10)
    }
}
