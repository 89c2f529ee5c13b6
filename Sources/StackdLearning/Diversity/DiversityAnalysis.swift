/// Everything `diversity_analysis.json` holds: pairwise statistics, the composite score and grade,
/// advice, and an optional greedy member selection.
///
/// Built from base-model predictions on evaluation rows (the reference uses the chronological
/// test rows); an artifact, so it is Codable and carries the row count it was computed on.
public struct DiversityAnalysis: Sendable, Equatable, Codable {
    /// Model names, in column-block order.
    public var models: [String]
    /// Number of rows analysed.
    public var rows: Int
    /// Per-model error rate (1 − accuracy of the arg-max class).
    public var errorRates: [Double]
    /// Every pair, then the "mean" row (the reference's layout).
    public var pairs: [PairDiversity]
    public var score: DiversityScore
    public var recommendations: [String]
    /// Present when seed scores were supplied.
    public var selection: GreedyDiverseSelection?

    /// - Parameters:
    ///   - X: basic stacked probabilities (`N × KM`, model-major; K = 3: `[p_short, p_neutral, p_long]`).
    ///   - labels: class indices 0…K−1 of the rows.
    ///   - models: model names.
    ///   - seedScores: per-model score for seeding greedy selection (higher is better), or nil to
    ///     skip selection.
    ///   - maxModels: cap on selected models.
    public init(_ X: Matrix, labels: [Int], models: [String], seedScores: [Double]? = nil,
                maxModels: Int? = nil) {
        precondition(models.count >= 2, "diversity needs at least two models")
        let k = models.isEmpty ? 0 : X.cols / models.count
        precondition(k >= 2 && X.cols == k * models.count && X.rows == labels.count && X.rows > 0, "shape mismatch")
        self.models = models
        rows = X.rows
        errorRates = models.indices.map { m in
            var wrong = 0
            for r in 0..<X.rows where X.withRow(r, { Metrics.argmax(UnsafeBufferPointer(rebasing: $0[(k * m)..<(k * m + k)])) }) != labels[r] {
                wrong += 1
            }
            return Double(wrong) / Double(X.rows)
        }
        pairs = PairDiversity.allPairs(X, labels: labels, models: models)
        var rates: [(Double, Double)] = []
        for i in models.indices { for j in models.indices where j > i { rates.append((errorRates[i], errorRates[j])) } }
        score = DiversityScore(pairs: pairs, errorRates: rates)
        selection = seedScores.map {
            GreedyDiverseSelection(X, labels: labels, models: models, seedScores: $0, maxModels: maxModels)
        }
        recommendations = DiversityRecommendations.make(pairs: pairs, score: score, selection: selection,
                                                        models: models)
    }

    /// The "mean" row.
    public var mean: PairDiversity? { pairs.last { $0.pair == "mean" } }
}
