import StackdTraining

/// The closed sets of words some keys accept. The loader turns the file's string into one of
/// these, so past it a misspelt comparison is a compile error rather than a silent default.

/// `learner.kind`: which meta-learners a retrain fits: the name of a learner registered in
/// `MetaLearnerRegistry`, or `auto` (every registered learner; the best on validation is the
/// candidate). Open, so that registering a learner is enough to make it configurable.
package struct LearnerKind: RawRepresentable, Hashable, Sendable, CaseIterable {
    package let rawValue: String
    package init?(rawValue: String) {
        guard rawValue == "auto" || MetaLearnerRegistry.learner(named: rawValue) != nil else { return nil }
        self.rawValue = rawValue
    }
    package static var allCases: [LearnerKind] { (MetaLearnerRegistry.names + ["auto"]).compactMap(LearnerKind.init) }
    package static let logistic = LearnerKind(rawValue: LogisticLearner.name)!
    package static let xgboost = LearnerKind(rawValue: XGBoostLearner.name)!
    package static let auto = LearnerKind(rawValue: "auto")!
}

/// `learner.calibration`: whether each learner is also tried with a temperature, or with
/// per-class isotonic maps, fitted on the validation rows (judged cross-fitted).
package enum LearnerCalibration: String, Sendable, CaseIterable {
    case temperature
    /// Per-class isotonic maps (`IsotonicCalibratedCombiner`).
    case isotonic
    case none
}

/// `learner.metric`: the metric a candidate must win on.
package enum LearnerMetric: String, Sendable, CaseIterable {
    case logLoss = "log_loss"
    case f1
    case sharpe
    case brier
}

/// `learner.features`: the stacking features a meta-learner sees.
package enum LearnerFeatures: String, Sendable, CaseIterable {
    /// The M·K probabilities.
    case basic
    /// All stacking features.
    case extended
    /// Extended plus each model's recent skill (needs `features.skill_window`).
    case all
}

/// `learner.promotion`: when a fitted candidate is installed.
package enum PromotionRule: String, Sendable, CaseIterable {
    /// Only a candidate that beats averaging, the best single model and the champion.
    case gated
    /// Every fit (walk-forward research, reference comparisons).
    case always
}

/// `state.flush`: when window rows reach the operating system (what `kill -9` may lose).
enum StateFlushMode: String, Sendable, CaseIterable {
    case everyRow = "every_row"
    /// Every `state.flush_rows` rows.
    case everyRows = "every_rows"
    /// Every `state.flush_interval_ms`.
    case interval
}

/// `state.sync`: whether a flush also reaches the disk.
enum StateSyncMode: String, Sendable, CaseIterable {
    case none
    /// fsync after every flush: survives power loss, costs latency.
    case everyFlush = "every_flush"
}
