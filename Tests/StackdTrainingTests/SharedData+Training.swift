import Foundation
import StackdLearning
import StackdTestSupport
@testable import StackdTraining

/// The training tests' readings of the reference data (`StackdTestSupport.SharedData` locates it
/// and skips a test when it is absent).
extension SharedData {
    static func rows(horizon h: Int, regimes: Bool = true) throws -> TrainingRows {
        TrainingRows(dataset: try OOSDailyDataset(
            horizon: h, predictions: text("data/oos-daily/preds_h\(h).csv"), labels: text("data/oos-daily/labels_h\(h).csv"),
            regimes: regimes ? text("data/oos-daily/regimes.csv") : nil))
    }
}

/// The reference's metric names mapped to a report.
func metricValues(_ r: EvaluationReport) -> [String: Double] {
    ["f1_macro": r.f1Macro, "accuracy": r.accuracy, "log_loss": r.logLoss, "sharpe": r.sharpe,
     "ece_short": r.ece[0], "ece_neutral": r.ece[1], "ece_long": r.ece[2], "frac_short": r.fracShort, "frac_long": r.fracLong]
}
