import Foundation

/// One reason a meta-learner did not (or should not) win, with what to do about it.
public struct DiagnosisFinding: Sendable, Codable, Equatable {
    /// Stable identifier, for dashboards and tests.
    public enum Code: String, Sendable, Codable, CaseIterable {
        case tooFewRows = "too_few_rows"
        case overfitting
        case lowDiversity = "low_diversity"
        case winsLogLossLosesF1 = "wins_log_loss_loses_f1"
        case losesToAveraging = "loses_to_averaging"
        case losesToBestSingle = "loses_to_best_single"
        case collapsedClass = "collapsed_class"
    }
    public var code: Code
    /// What was observed, with the numbers.
    public var message: String
    /// The recommended fix.
    public var recommendation: String
}

/// What the diagnosis looks at: the candidate's and the baselines' validation numbers.
public struct DiagnosisInput: Sendable, Equatable {
    public var trainRows: Int
    public var modelCount: Int
    /// Mean pairwise disagreement of the base models, if measured.
    public var diversity: Double?
    /// Overfitting checks of the trained candidates.
    public var overfitting: [OverfittingCheck]
    /// Candidate (validation) log-loss and macro-F1, and its share of rows predicted per class.
    public var candidateLogLoss: Double?
    public var candidateF1: Double?
    public var candidateClassShares: [Double]?
    public var averagingLogLoss: Double
    public var averagingF1: Double
    public var bestSingleLogLoss: Double
    public var bestSingleF1: Double

    public init(trainRows: Int, modelCount: Int, diversity: Double?, overfitting: [OverfittingCheck],
                candidateLogLoss: Double?, candidateF1: Double?, candidateClassShares: [Double]?,
                averagingLogLoss: Double, averagingF1: Double, bestSingleLogLoss: Double, bestSingleF1: Double) {
        self.trainRows = trainRows
        self.modelCount = modelCount
        self.diversity = diversity
        self.overfitting = overfitting
        self.candidateLogLoss = candidateLogLoss
        self.candidateF1 = candidateF1
        self.candidateClassShares = candidateClassShares
        self.averagingLogLoss = averagingLogLoss
        self.averagingF1 = averagingF1
        self.bestSingleLogLoss = bestSingleLogLoss
        self.bestSingleF1 = bestSingleF1
    }
}

/// Explains why stacking fails (or is fragile) on a horizon, so the fix is a decision, not a guess.
public enum FailureDiagnosis {
    /// A class predicted on fewer than this share of rows counts as collapsed.
    public static let collapsedClassShare = 0.02

    public static func diagnose(_ x: DiagnosisInput) -> [DiagnosisFinding] {
        var out: [DiagnosisFinding] = []
        if x.trainRows < EnsembleMethodRule.minimumRowsForStacking {
            out.append(.init(code: .tooFewRows, message: "\(x.trainRows) meta-training rows (< \(EnsembleMethodRule.minimumRowsForStacking))",
                             recommendation: "collect more out-of-sample rows, or use blending / weighted averaging until then"))
        }
        for o in x.overfitting where o.isOverfitting {
            out.append(.init(code: .overfitting,
                             message: "\(o.method): validation log-loss \(f(o.validationLogLoss)) vs train \(f(o.trainLogLoss)) (gap \(f(o.gap)) > \(f(o.threshold)))",
                             recommendation: "regularise more (smaller C, shallower/fewer trees), use fewer features (basic set), or more rows"))
        }
        if let d = x.diversity, d < EnsembleMethodRule.minimumDiversity {
            out.append(.init(code: .lowDiversity, message: "mean pairwise disagreement \(f(d)) (< \(EnsembleMethodRule.minimumDiversity))",
                             recommendation: "add base models that differ in features or model family; stacking near-copies adds nothing"))
        }
        if let ll = x.candidateLogLoss, let f1 = x.candidateF1 {
            if ll < x.averagingLogLoss && f1 < x.averagingF1 {
                out.append(.init(code: .winsLogLossLosesF1,
                                 message: "log-loss \(f(ll)) beats averaging \(f(x.averagingLogLoss)) but macro-F1 \(f(f1)) loses to \(f(x.averagingF1))",
                                 recommendation: "the meta-model is better calibrated but predicts the majority class; if decisions use the arg-max, promote on macro-F1 or tune class thresholds / class weights"))
            }
            if ll >= x.averagingLogLoss {
                out.append(.init(code: .losesToAveraging, message: "log-loss \(f(ll)) does not beat averaging \(f(x.averagingLogLoss))",
                                 recommendation: "keep averaging; retry with more rows or a stronger penalty"))
            }
            if ll >= x.bestSingleLogLoss {
                out.append(.init(code: .losesToBestSingle, message: "log-loss \(f(ll)) does not beat the best single model \(f(x.bestSingleLogLoss))",
                                 recommendation: "one base model dominates: check whether the others add information, or weight it up in a blend"))
            }
        }
        if let shares = x.candidateClassShares {
            for (c, s) in shares.enumerated() where s < collapsedClassShare {
                out.append(.init(code: .collapsedClass, message: "class \(c) is predicted on \(f(s * 100))% of validation rows",
                                 recommendation: "the arg-max never picks this class; use class weights or per-class thresholds if it must be traded"))
            }
        }
        return out
    }

    static func f(_ x: Double) -> String { String(format: "%.4f", x) }
}
