/// Which statistic `XGBoostClassifier.featureImportance(type:)` reports per feature.
///
/// The raw values are XGBoost's `importance_type` strings so that they match
/// Python's `Booster.get_score(importance_type=...)` one to one.
public enum XGBoostImportanceType: String, Codable, Sendable, CaseIterable {
    /// Average loss reduction over the splits that use the feature.
    case gain
    /// Number of splits that use the feature.
    case weight
    /// Average number of (hessian-weighted) training rows reaching those splits.
    case cover
    /// Total loss reduction over the splits that use the feature.
    case totalGain = "total_gain"
    /// Total (hessian-weighted) rows over those splits.
    case totalCover = "total_cover"
}
