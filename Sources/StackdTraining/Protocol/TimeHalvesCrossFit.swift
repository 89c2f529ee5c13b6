import StackdLearning

/// Cross-fitting over the two time halves of the validation rows, shared by everything fitted on
/// those rows and then judged on them (temperature, isotonic maps, the best-single mixture weight).
///
/// Why: fitting and judging on the same rows would be optimistic. What is served is fitted on
/// all rows; what the gate judges is each half transformed by the fit of the other half, so no
/// row is judged with a fit that saw it.
enum TimeHalvesCrossFit {
    /// `fit` on all `n` rows (served) and on each half; nil with fewer than 2 × `minimumRows`
    /// rows or when a fit fails. `apply(fit, rows)` transforms `rows` into a `rows.count × cols`
    /// matrix; the result's first half is the first rows under the second half's fit and vice versa.
    static func crossFitted<Fit>(rows n: Int, cols: Int, minimumRows: Int, fit: (Range<Int>) -> Fit?,
                                 apply: (Fit, Range<Int>) -> Matrix) -> (served: Fit, crossFitted: Matrix)? {
        let half = n / 2
        guard half >= minimumRows, let all = fit(0..<n), let first = fit(0..<half), let second = fit(half..<n) else { return nil }
        let judgedFirst = apply(second, 0..<half), judgedSecond = apply(first, half..<n)
        var out = Matrix(rows: n, cols: cols)
        for i in 0..<n {
            for c in 0..<cols { out[i, c] = i < half ? judgedFirst[i, c] : judgedSecond[i - half, c] }
        }
        return (all, out)
    }
}
