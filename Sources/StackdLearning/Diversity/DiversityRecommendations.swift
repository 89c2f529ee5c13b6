/// Plain-language advice derived from the diversity numbers, for operators reading
/// `diversity_analysis.json`.
///
/// The thresholds are conventions, not statistics; they are public so a report can state them.
public enum DiversityRecommendations {
    /// A pair whose scores correlate at least this much is treated as redundant.
    public static let redundantScoreCorrelation = 0.8
    /// A pair that disagrees on at most this share of rows is treated as redundant.
    public static let redundantDisagreement = 0.2
    /// A pair whose correctness correlates at least this much shares its errors.
    public static let sharedErrorRho = 0.6

    /// Advice lines: redundant pairs, pairs with shared errors, the overall grade, and (if given)
    /// which models greedy selection would drop.
    public static func make(pairs: [PairDiversity], score: DiversityScore,
                            selection: GreedyDiverseSelection?, models: [String]) -> [String] {
        var out: [String] = []
        for p in pairs where p.pair != "mean" {
            let names = p.pair.split(separator: "-", maxSplits: 1).map(String.init)
            let a = names.first ?? p.pair, b = names.count > 1 ? names[1] : ""
            if p.scoreCorrelation >= redundantScoreCorrelation || p.disagreement <= redundantDisagreement {
                out.append("\(a) and \(b) agree on \(percent(1 - p.disagreement)) of rows and their scores correlate "
                           + "\(fixed2(p.scoreCorrelation)): keep one or diversify features")
            } else if p.rhoCorrect >= sharedErrorRho {
                out.append("\(a) and \(b) are right and wrong on the same rows (rho \(fixed2(p.rhoCorrect)), both wrong on "
                           + "\(percent(p.doubleFault))): they add little to each other; diversify training data or targets")
            }
        }
        switch score.grade {
        case .low:
            out.append("overall diversity is low (\(fixed2(score.composite))): the ensemble behaves like one model; "
                       + "a stacker cannot beat the best single model by much, add differently-built models")
        case .moderate:
            out.append("overall diversity is moderate (\(fixed2(score.composite))): stacking can help, "
                       + "gains are bounded by the shared errors")
        case .high:
            out.append("overall diversity is high (\(fixed2(score.composite))): members err on different rows; "
                       + "stacking has room to beat the best single model")
        }
        if let selection, selection.selected.count < models.count {
            let dropped = models.filter { !selection.selected.contains($0) }
            out.append("greedy selection keeps \(selection.selected.joined(separator: ", ")); "
                       + "\(dropped.joined(separator: ", ")) do(es) not lower the averaged log-loss on these rows")
        }
        return out
    }

    /// "85%" (rounded to a whole percent).
    static func percent(_ x: Double) -> String { "\(Int((100 * x).rounded()))%" }

    /// Two decimals without Foundation ("0.92", "-0.05").
    static func fixed2(_ x: Double) -> String {
        let v = Int((abs(x) * 100).rounded())
        let frac = v % 100
        return "\(x < 0 && v != 0 ? "-" : "")\(v / 100).\(frac < 10 ? "0" : "")\(frac)"
    }
}
