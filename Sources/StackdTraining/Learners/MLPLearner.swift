import Foundation
import StackdCore
import StackdLearning

/// A one-hidden-layer perceptron on the stacking features (`learner.kind = "mlp"`), fitted with
/// `MLPClassifier` (full-batch L-BFGS, L2, standardised inputs, seeded initial weights).
///
/// The stacking signal is weak and the features are few and collinear, so the network is small
/// (`hiddenUnits` ReLU units) and its size is not searched. What is chosen on the validation rows
/// (the purged rows after the cut) is the amount of fitting: the L2 strength α from `alphaGrid`,
/// and for each α the number of L-BFGS iterations, by early stopping (validation log-loss every
/// `validationInterval` iterations, the best weights kept, stop after `validationPatience` checks
/// without a new best). Those are chosen on the newest meta-train rows (never the gate's rows),
/// then the choice is refitted on all of meta-train for the chosen number of iterations. Ties keep
/// the stronger penalty. With fixed hyper-parameters (or no validation rows) `defaultAlpha` is
/// fitted for the full iteration budget and nothing is searched.
public struct MLPLearner: MetaLearner {
    public static let name = "mlp"
    /// Hidden units.
    public static let hiddenUnits = 8
    /// α values tried, strongest penalty first (ties keep the earlier).
    public static let alphaGrid: [Double] = [1000, 100, 10, 1]
    /// α when nothing is searched.
    public static let defaultAlpha = 100.0
    /// L-BFGS iterations between validation checks, and checks without a new best before stopping.
    public static let validationInterval = 5
    public static let validationPatience = 4
    /// Iteration budget of one fit (scikit-learn's `max_iter` default).
    public static let maxIterations = 200

    public init() {}
    public var name: String { Self.name }
    public var displayName: String { "MLP meta" }
    public var modelFormat: ModelFormat { .mlp }

    /// The fit settings for `alpha` and the run's seed.
    public static func options(alpha: Double, seed: Int) -> MLPClassifier.Options {
        MLPClassifier.Options(hiddenUnits: hiddenUnits, activation: .relu, alpha: alpha, standardize: true,
                              seed: UInt64(bitPattern: Int64(seed)),
                              optimizer: LBFGS.Options(gradientTolerance: 1e-4, relativeDecreaseTolerance: 1e7 * Double.ulpOfOne,
                                                       maxIterations: maxIterations),
                              validationInterval: validationInterval, validationPatience: validationPatience)
    }

    public func fit(_ input: MetaLearnerFitInput) throws -> any FittedMetaLearner {
        let X = input.trainFeatures, y = input.train.labels, k = input.classCount
        if input.hyperparametersFixed || input.validation.count == 0 {
            let m = try MLPClassifier.fit(X: input.finalFeatures, y: input.finalRows.labels, classes: k,
                                          options: Self.options(alpha: Self.defaultAlpha, seed: input.configuration.seed))
            try Self.checkNotCancelled(m)
            return MLPCombiner(model: m, featureSet: input.featureSet, layout: input.layout, version: input.version,
                               fitSummary: Self.summary(m, selection: "fixed α = \(Self.defaultAlpha), \(m.report?.iterations ?? 0) iterations"))
        }
        let validation = (X: input.validationFeatures, y: input.validation.labels)
        var best: (model: MLPClassifier, loss: Double)?
        var tried: [String] = []
        for alpha in Self.alphaGrid {
            let m = try MLPClassifier.fit(X: X, y: y, classes: k, options: Self.options(alpha: alpha, seed: input.configuration.seed),
                                          validation: validation)
            try Self.checkNotCancelled(m)
            let loss = m.report?.validationLogLoss ?? .infinity
            tried.append("\(Self.format(alpha)): \(String(format: "%.4f", loss)) at \(m.report?.bestIteration ?? 0)")
            if best == nil || loss < best!.loss { best = (m, loss) }
        }
        var m = best!.model
        var refit = ""
        if input.refitRows != nil {
            // The chosen α and number of iterations, refitted on all of meta-train: the served
            // network has seen the newest rows too, as the other learners' final fits have.
            var options = Self.options(alpha: m.alpha, seed: input.configuration.seed)
            options.optimizer.maxIterations = max(1, m.report?.bestIteration ?? Self.maxIterations)
            m = try MLPClassifier.fit(X: input.finalFeatures, y: input.finalRows.labels, classes: k, options: options)
            try Self.checkNotCancelled(m)
            refit = "; refitted on all \(input.finalRows.count) meta-train rows for \(options.optimizer.maxIterations) iterations"
        }
        return MLPCombiner(model: m, featureSet: input.featureSet, layout: input.layout, version: input.version,
                           fitSummary: Self.summary(m, selection: "α and iterations by validation log-loss over \(input.validation.count) rows, "
                                                    + "early stopping every \(Self.validationInterval) iterations (α: loss at iteration: "
                                                    + tried.joined(separator: ", ") + ")" + refit))
    }

    public func load(_ input: MetaLearnerLoadInput) throws -> any FittedMetaLearner {
        let file = input.file, layout = input.layout
        try ArtifactCoding.checkSchemaVersion(input.modelBytes, file: file)
        let d = try ArtifactCoding.decode(MLPModelDocument.self, from: input.modelBytes, file: file)
        guard d.kind == .mlp, d.horizon == input.horizon, d.models == layout.models, d.classCount == layout.classCount,
              d.featureCount == input.featureNames.count, d.featureNames == input.featureNames else {
            throw ArtifactError(file: file, message: "does not match \(ArtifactSchema.metaConfig) (kind, horizon, models, classes or features)")
        }
        let F = d.featureCount, H = d.hiddenUnits, K = d.classCount
        guard H >= 1, d.hiddenWeights.count == F, d.hiddenWeights.allSatisfy({ $0.count == H }), d.hiddenBiases.count == H,
              d.outputWeights.count == H, d.outputWeights.allSatisfy({ $0.count == K }), d.outputBiases.count == K else {
            throw ArtifactError(file: file, message: "weight shapes are not \(F)×\(H), \(H), \(H)×\(K), \(K) (features × hidden units × classes)")
        }
        try ArtifactLoader.checkMagnitudes(d.hiddenWeights.joined() + d.hiddenBiases + d.outputWeights.joined() + d.outputBiases + [d.alpha],
                                           file: file, what: "weights, biases and alpha")
        guard d.alpha >= 0 else { throw ArtifactError(file: file, message: "alpha is \(d.alpha), must be ≥ 0", reason: .values) }
        do {
            let m = try MLPClassifier(hiddenWeights: Array(d.hiddenWeights.joined()), hiddenBiases: d.hiddenBiases,
                                      outputWeights: Array(d.outputWeights.joined()), outputBiases: d.outputBiases,
                                      features: F, activation: d.activation, alpha: d.alpha)
            return MLPCombiner(model: m, featureSet: input.featureSet, layout: layout, version: input.version)
        } catch {
            throw ArtifactError(file: file, message: "refused: \(error)")
        }
    }

    static func summary(_ m: MLPClassifier, selection: String) -> LearnerFitSummary {
        LearnerFitSummary(hyperparameters: ["alpha": m.alpha, "hidden_units": Double(m.hiddenUnits),
                                            "iterations": Double(m.report?.bestIteration ?? m.report?.iterations ?? 0)],
                          selection: selection)
    }

    /// A fit the daemon's stop interrupted is not a model.
    static func checkNotCancelled(_ m: MLPClassifier) throws {
        if m.report?.termination == .cancelled || TrainingCancellation.isCurrentCancelled { throw CancellationError() }
    }

    static func format(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e9 ? String(Int(v)) : String(format: "%g", v) }
}
