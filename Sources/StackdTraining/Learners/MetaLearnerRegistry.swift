/// Every meta-learner this build knows, by name and by artifact format.
///
/// To add a learner, implement `MetaLearner` and `FittedMetaLearner` in its own files (see
/// `MetaLearner`) and append one instance to `learners`: the trainer (`CandidateKind`),
/// `learner.kind`, `stackd train --learner` and the artifact loader then all accept it.
public enum MetaLearnerRegistry {
    /// The registered learners, in the order `auto` fits them (ties on validation keep the earlier).
    public static let learners: [any MetaLearner] = [
        LogisticLearner(),
        XGBoostLearner(),
        BlendLearner(),
        MLPLearner(),
    ]

    /// The learner registered under `name`, if any.
    public static func learner(named name: String) -> (any MetaLearner)? {
        learners.first { $0.name == name }
    }

    /// The learner whose artifacts have `format`, if any.
    public static func learner(format: ModelFormat) -> (any MetaLearner)? {
        learners.first { $0.modelFormat == format }
    }

    /// Registered names, in registry order.
    public static var names: [String] { learners.map(\.name) }
}
