import StackdLearning

/// The simple methods every learned combiner is compared with, as probability matrices over given
/// rows. They are computed on exactly the rows the candidates are evaluated on, so differences in
/// the comparison table come from the method, not the sample.
public enum Baselines {
    /// Unweighted mean of the base models' vectors.
    public static func averaging(_ rows: TrainingRows) -> Matrix {
        blend(rows, weights: [Double](repeating: 1, count: rows.models.count))
    }

    /// Fixed-weight mean (weights normalised to sum 1).
    public static func blend(_ rows: TrainingRows, weights: [Double]) -> Matrix {
        precondition(weights.count == rows.models.count, "one weight per base model")
        let total = weights.reduce(0, +)
        precondition(total > 0, "weights must have a positive sum")
        let k = rows.classCount, m = rows.models.count
        var out = Matrix(rows: rows.count, cols: k)
        let base = rows.basePredictions
        out.withUnsafeMutableStorage { o in
            base.storage.withUnsafeBufferPointer { p in
                for i in 0..<rows.count {
                    for j in 0..<m {
                        let w = weights[j] / total
                        for c in 0..<k { o[i * k + c] += w * p[i * m * k + j * k + c] }
                    }
                }
            }
        }
        return out
    }

    /// One base model's own vectors.
    public static func single(_ rows: TrainingRows, model m: Int) -> Matrix {
        let k = rows.classCount
        return rows.basePredictions.selectingColumns(Array((m * k)..<((m + 1) * k)))
    }

    /// The base model with the best `metric` on `trainRows` (ties → first in model order): on
    /// meta-train, never on the rows it is then evaluated on, and by the promotion metric, so that
    /// "beats the best single model" is judged against the strongest single model on that metric
    /// (the reference picks by macro-F1, which on log-loss can pick a model far worse than the others).
    public static func bestSingleModel(trainRows: TrainingRows, metric: PromotionMetric = .macroF1) -> Int {
        var best = 0, bestValue = 0.0
        for m in trainRows.models.indices {
            let p = single(trainRows, model: m)
            let v = metric.value(EvaluationReport(probabilities: p, labels: trainRows.labels,
                                                  forwardReturns: trainRows.forwardReturns, horizon: trainRows.horizon))
            if m == 0 || metric.isBetter(v, than: bestValue) { best = m; bestValue = v }
        }
        return best
    }

    /// Training label frequencies, the same vector for every row: the no-skill forecast.
    public static func classPrior(trainLabels: [Int], classCount: Int, rows: Int) -> Matrix {
        let prior = priorFrequencies(trainLabels, classCount: classCount)
        return Matrix(rows: rows, cols: classCount, storage: (0..<rows).flatMap { _ in prior })
    }

    /// A one-hot vector on the most frequent training class (ties → lowest index). Its log-loss is
    /// huge by design (−ln 1e-15 on every miss): it is there for accuracy, F1 and Sharpe.
    public static func alwaysMajority(trainLabels: [Int], classCount: Int, rows: Int) -> (matrix: Matrix, classIndex: Int) {
        let prior = priorFrequencies(trainLabels, classCount: classCount)
        var maj = 0
        for c in 1..<classCount where prior[c] > prior[maj] { maj = c }
        var v = [Double](repeating: 0, count: classCount)
        v[maj] = 1
        return (Matrix(rows: rows, cols: classCount, storage: (0..<rows).flatMap { _ in v }), maj)
    }

    static func priorFrequencies(_ labels: [Int], classCount: Int) -> [Double] {
        var n = [Double](repeating: 0, count: classCount)
        for y in labels { n[y] += 1 }
        let total = max(1, Double(labels.count))
        return n.map { $0 / total }
    }
}
