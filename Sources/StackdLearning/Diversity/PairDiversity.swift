/// Diversity statistics of two base models on the same rows, as `reference.py`'s `diversity()`
/// defines them.
///
/// Stacking only gains over the best single model when members err on different rows, so these
/// numbers decide which models are worth keeping in the ensemble.
public struct PairDiversity: Sendable, Equatable, Codable {
    /// "modelA-modelB" (models in input order), or "mean" for the average over pairs.
    public var pair: String
    /// Share of rows where the two arg-max classes differ.
    public var disagreement: Double
    /// Share of rows where both arg-max classes are wrong.
    public var doubleFault: Double
    /// Pearson correlation of the two correctness indicators (Kuncheva's ρ); 0 when either model
    /// is always or never right (numpy would give NaN).
    public var rhoCorrect: Double
    /// Pearson correlation of the directional scores p_long − p_short; 0 if either is constant.
    public var scoreCorrelation: Double

    enum CodingKeys: String, CodingKey {
        case pair, disagreement
        case doubleFault = "double_fault"
        case rhoCorrect = "rho_correct"
        case scoreCorrelation = "score_corr"
    }

    public init(pair: String, disagreement: Double, doubleFault: Double, rhoCorrect: Double,
                scoreCorrelation: Double) {
        self.pair = pair
        self.disagreement = disagreement
        self.doubleFault = doubleFault
        self.rhoCorrect = rhoCorrect
        self.scoreCorrelation = scoreCorrelation
    }

    /// Statistics of models `i` and `j` of a basic stacked matrix `X` (`N × KM`, model-major
    /// `[p_short, p_neutral, p_long]` blocks when K = 3) against class-index `labels`. The score
    /// correlated is P(highest class) − P(lowest class).
    public init(_ X: Matrix, labels: [Int], models: [String], _ i: Int, _ j: Int) {
        let k = models.isEmpty ? 0 : X.cols / models.count
        precondition(k >= 2 && X.cols == k * models.count && X.rows == labels.count, "shape mismatch")
        precondition(X.rows > 0, "no rows")
        let n = X.rows
        var disagree = 0, bothWrong = 0
        var ci = [Double](repeating: 0, count: n), cj = ci, si = ci, sj = ci
        for r in 0..<n {
            let (pi, pj) = X.withRow(r) { row in
                (Metrics.argmax(UnsafeBufferPointer(rebasing: row[(k * i)..<(k * i + k)])),
                 Metrics.argmax(UnsafeBufferPointer(rebasing: row[(k * j)..<(k * j + k)])))
            }
            if pi != pj { disagree += 1 }
            if pi != labels[r] && pj != labels[r] { bothWrong += 1 }
            ci[r] = pi == labels[r] ? 1 : 0
            cj[r] = pj == labels[r] ? 1 : 0
            si[r] = X[r, k * i + k - 1] - X[r, k * i]
            sj[r] = X[r, k * j + k - 1] - X[r, k * j]
        }
        self.init(pair: "\(models[i])-\(models[j])", disagreement: Double(disagree) / Double(n),
                  doubleFault: Double(bothWrong) / Double(n), rhoCorrect: Metrics.pearson(ci, cj),
                  scoreCorrelation: Metrics.pearson(si, sj))
    }

    /// Every pair (i < j, in model order) followed by their unweighted mean labelled "mean",
    /// the layout of the reference's `diversity` list.
    public static func allPairs(_ X: Matrix, labels: [Int], models: [String]) -> [PairDiversity] {
        var rows: [PairDiversity] = []
        for i in models.indices { for j in models.indices where j > i {
            rows.append(PairDiversity(X, labels: labels, models: models, i, j))
        } }
        guard !rows.isEmpty else { return [] }
        let k = Double(rows.count)
        rows.append(PairDiversity(pair: "mean",
                                  disagreement: rows.map(\.disagreement).reduce(0, +) / k,
                                  doubleFault: rows.map(\.doubleFault).reduce(0, +) / k,
                                  rhoCorrect: rows.map(\.rhoCorrect).reduce(0, +) / k,
                                  scoreCorrelation: rows.map(\.scoreCorrelation).reduce(0, +) / k))
        return rows
    }
}
