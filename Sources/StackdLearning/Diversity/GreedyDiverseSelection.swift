#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Forward selection of ensemble members by what they add to the simple average.
///
/// A model earns its place only if averaging it in lowers the ensemble's log-loss on the given
/// rows: a redundant copy of a selected model adds nothing, while a weaker but differently-wrong
/// model can. Log-loss (not accuracy) is the objective because it rewards complementary
/// confidence, which is what a stacker exploits. Use held-out rows, or the selection overfits.
public struct GreedyDiverseSelection: Sendable, Equatable, Codable {
    /// One accepted step.
    public struct Step: Sendable, Equatable, Codable {
        public var model: String
        /// Log-loss of the simple average of the models selected so far, after this step.
        public var ensembleLogLoss: Double
    }

    /// Selected models, in selection order.
    public var selected: [String]
    /// The trajectory (first step is the seed model).
    public var steps: [Step]
    /// Why selection stopped: "no improvement", "reached k" or "all models selected".
    public var stopReason: String

    /// - Parameters:
    ///   - X: basic stacked probabilities (`N × 3M`, model-major).
    ///   - labels: class indices of the rows.
    ///   - models: model names in column-block order.
    ///   - seedScores: per-model score, higher is better (e.g. meta-train macro F1); the seed is
    ///     its arg-max (ties → first model).
    ///   - maxModels: stop after this many models (k).
    ///   - minImprovement: a candidate must lower the log-loss by more than this.
    public init(_ X: Matrix, labels: [Int], models: [String], seedScores: [Double],
                maxModels: Int? = nil, minImprovement: Double = 0) {
        let M = models.count
        precondition(M > 0 && X.cols % M == 0 && X.cols / M >= 2 && X.rows == labels.count && seedScores.count == M, "shape mismatch")
        let k = min(maxModels ?? M, M)
        precondition(k >= 1, "maxModels must be ≥ 1")
        var seed = 0
        for m in 1..<M where seedScores[m] > seedScores[seed] { seed = m }
        var chosen = [seed]
        var current = Self.averageLogLoss(X, labels: labels, members: chosen, classes: X.cols / M)
        var steps = [Step(model: models[seed], ensembleLogLoss: current)]
        var reason = "all models selected"
        while chosen.count < M {
            if chosen.count >= k { reason = "reached k"; break }
            var best: (m: Int, ll: Double)? = nil
            for m in 0..<M where !chosen.contains(m) {
                let ll = Self.averageLogLoss(X, labels: labels, members: chosen + [m], classes: X.cols / M)
                if best == nil || ll < best!.ll { best = (m, ll) }
            }
            guard let b = best, b.ll < current - minImprovement else { reason = "no improvement"; break }
            chosen.append(b.m)
            current = b.ll
            steps.append(Step(model: models[b.m], ensembleLogLoss: b.ll))
        }
        selected = chosen.map { models[$0] }
        self.steps = steps
        stopReason = reason
    }

    /// Log-loss (reference definition: mean −ln max(p_true, 1e-15)) of the unweighted average of
    /// `members`' probability blocks (`classes` columns each).
    public static func averageLogLoss(_ X: Matrix, labels: [Int], members: [Int], classes: Int = 3) -> Double {
        precondition(!members.isEmpty, "no members")
        guard X.rows > 0 else { return 0 }
        var s = 0.0
        let inv = 1 / Double(members.count)
        for r in 0..<X.rows {
            var p = 0.0
            for m in members { p += X[r, classes * m + labels[r]] }
            s -= log(max(p * inv, Metrics.logLossEpsilon))
        }
        return s / Double(X.rows)
    }
}
