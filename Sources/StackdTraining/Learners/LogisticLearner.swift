import Foundation
import StackdCore
import StackdLearning

/// Multinomial logistic regression on the stacking features (`learner.kind = "logistic"`).
///
/// C (inverse L2 strength) is chosen from `cGrid` by log-loss on the selection rows (the newest
/// part of meta-train, see `MetaLearnerFitInput`), then refitted; ties keep the smaller C (the
/// stronger penalty). With fixed
/// hyper-parameters (`learner.c` > 0), or a fixed logistic C (`learner.logistic_c` > 0,
/// `TrainingConfiguration.logisticC`), the given C is fitted and nothing is searched.
public struct LogisticLearner: MetaLearner {
    public static let name = "logistic"
    /// The C values tried, weakest model first.
    public static let cGrid: [Double] = [0.003, 0.01, 0.03, 0.1, 0.3, 1, 3]

    public init() {}
    public var name: String { Self.name }
    public var displayName: String { "LR meta" }
    public var modelFormat: ModelFormat { .logistic }

    public func fit(_ input: MetaLearnerFitInput) throws -> any FittedMetaLearner {
        let k = input.classCount
        func fitted(_ c: Double, _ rows: TrainingRows, _ X: Matrix) throws -> MultinomialLogisticRegression {
            try MultinomialLogisticRegression.fit(X: X, y: rows.labels, classes: k, C: c)
        }
        func served(_ c: Double, _ summary: LearnerFitSummary) throws -> LogisticCombiner {
            LogisticCombiner(model: try fitted(c, input.finalRows, input.finalFeatures), featureSet: input.featureSet,
                             layout: input.layout, version: input.version, fitSummary: summary)
        }
        if input.hyperparametersFixed {
            let c = input.hyperparameters.logisticC
            return try served(c, LearnerFitSummary(hyperparameters: ["c": c], selection: "fixed C"))
        }
        if input.configuration.logisticC > 0 {
            let c = input.configuration.logisticC
            return try served(c, LearnerFitSummary(hyperparameters: ["c": c], selection: "logistic C fixed by configuration"))
        }
        if input.validation.count == 0 || input.train.count == 0 {
            let c = input.hyperparameters.logisticC
            return try served(c, LearnerFitSummary(hyperparameters: ["c": c], selection: "C by sample size (no rows to choose on)"))
        }
        let X = input.trainFeatures, Xv = input.validationFeatures
        var best: (c: Double, loss: Double)?
        var tried: [String] = []
        for c in Self.cGrid {
            if TrainingCancellation.isCurrentCancelled { throw TrainingError.cancelled }
            let m = try fitted(c, input.train, X)
            let loss = Metrics.logLoss(probabilities: m.predictProbabilities(Xv), labels: input.validation.labels)
            tried.append("\(c): \(String(format: "%.4f", loss))")
            if best == nil || loss < best!.loss { best = (c, loss) }
        }
        return try served(best!.c, LearnerFitSummary(
            hyperparameters: ["c": best!.c],
            selection: "C by log-loss on the newest \(input.validation.count) meta-train rows (\(tried.joined(separator: ", ")))"
                + (input.refitRows.map { ", refitted on \($0.count) rows" } ?? "")))
    }

    public func load(_ input: MetaLearnerLoadInput) throws -> any FittedMetaLearner {
        let file = input.file, layout = input.layout
        try ArtifactCoding.checkSchemaVersion(input.modelBytes, file: file)
        let m = try ArtifactCoding.decode(LogisticModelDocument.self, from: input.modelBytes, file: file)
        guard m.kind == .logistic, m.horizon == input.horizon, m.models == layout.models, m.classCount == layout.classCount,
              m.featureCount == input.featureNames.count, m.featureNames == input.featureNames else {
            throw ArtifactError(file: file, message: "does not match \(ArtifactSchema.metaConfig) (kind, horizon, models, classes or features)")
        }
        guard m.coefficients.count == m.classCount, m.intercepts.count == m.classCount,
              m.coefficients.allSatisfy({ $0.count == m.featureCount }) else {
            throw ArtifactError(file: file, message: "coefficient shape is not \(m.classCount)×\(m.featureCount)")
        }
        try ArtifactLoader.checkMagnitudes(m.coefficients.joined() + m.intercepts + [m.c], file: file, what: "coefficients, intercepts and c")
        guard m.c > 0 else { throw ArtifactError(file: file, message: "c is \(m.c), must be positive", reason: .values) }
        return LogisticCombiner(model: MultinomialLogisticRegression(coefficients: m.coefficients, intercepts: m.intercepts, C: m.c),
                                featureSet: input.featureSet, layout: layout, version: input.version)
    }
}
