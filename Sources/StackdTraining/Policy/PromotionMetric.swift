import StackdLearning

/// The metric a candidate must win on to be promoted.
///
/// Log-loss is the default because it scores the whole probability vector, which is what the
/// daemon publishes; macro-F1 and Sharpe score only the arg-max and are noisier on a few thousand
/// validation rows. The choice is explicit because on this data they disagree (stacking wins
/// log-loss and loses macro-F1).
public enum PromotionMetric: String, Sendable, Codable, CaseIterable {
    case logLoss = "log_loss"
    case macroF1 = "f1_macro"
    case sharpe
    case brier

    /// True when a smaller value is better.
    public var lowerIsBetter: Bool { self == .logLoss || self == .brier }

    /// The metric's value in a report.
    public func value(_ report: EvaluationReport) -> Double {
        switch self {
        case .logLoss: return report.logLoss
        case .macroF1: return report.f1Macro
        case .sharpe: return report.sharpe
        case .brier: return report.brier
        }
    }

    /// Strictly better (a tie does not justify replacing a simpler method). NaN is never better.
    public func isBetter(_ a: Double, than b: Double) -> Bool {
        guard !a.isNaN else { return false }
        guard !b.isNaN else { return true }
        return lowerIsBetter ? a < b : a > b
    }
}
