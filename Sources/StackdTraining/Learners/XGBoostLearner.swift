import Foundation
import StackdCore
import StackdLearning
import StackdXGBoost

/// Boosted trees (multi:softprob, hist, one thread) on the stacking features
/// (`learner.kind = "xgboost"`).
///
/// Depth, learning rate and number of trees are chosen by log-loss on the validation rows: one
/// fit of `maxRounds` trees per (depth, learning rate) of the grid, scored after each count in
/// `roundGrid` (the first n trees of a fit are the n-tree model), then the winner refitted with
/// its count. Ties keep the smaller model (grid order: shallow, slow, few trees first). With
/// fixed hyper-parameters the given depth and tree count are fitted at learning rate 0.1.
public struct XGBoostLearner: MetaLearner {
    public static let name = "xgboost"
    public static let depthGrid = [1, 2, 3, 4]
    public static let learningRateGrid = [0.03, 0.1]
    public static let roundGrid = [25, 50, 100, 200, 300]

    public init() {}
    public var name: String { Self.name }
    public var displayName: String { "XGB meta" }
    public var modelFormat: ModelFormat { .xgboostJSON }

    func parameters(_ input: MetaLearnerFitInput, depth: Int, rounds: Int, rate: Double) -> XGBoostParameters {
        XGBoostParameters(numClass: input.classCount, maxDepth: depth, nEstimators: rounds, learningRate: rate,
                          subsample: 0.8, colsampleByTree: 0.8, seed: input.configuration.seed, treeMethod: "hist", nthread: 1)
    }

    func train(_ input: MetaLearnerFitInput, _ X: Matrix, _ p: XGBoostParameters) throws -> XGBoostClassifier {
        try XGBoostClassifier.train(features: X.storage, rows: X.rows, cols: X.cols, labels: input.train.labels.map(Double.init),
                                    parameters: p, shouldStop: { TrainingCancellation.isCurrentCancelled })
    }

    public func fit(_ input: MetaLearnerFitInput) throws -> any FittedMetaLearner {
        let X = input.trainFeatures
        var depth = input.hyperparameters.treeDepth, rounds = input.hyperparameters.treeEstimators, rate = 0.1
        var selection = "fixed depth and trees"
        if !input.hyperparametersFixed && input.validation.count > 0 {
            let Xv = input.validationFeatures
            var best: (loss: Double, depth: Int, rounds: Int, rate: Double)?
            for d in Self.depthGrid {
                for r in Self.learningRateGrid {
                    let clf = try train(input, X, parameters(input, depth: d, rounds: Self.roundGrid.last!, rate: r))
                    for n in Self.roundGrid {
                        let p = try clf.predictProbabilities(features: Xv.storage, rows: Xv.rows, rounds: n)
                        let loss = Metrics.logLoss(probabilities: Matrix(rows: Xv.rows, cols: input.classCount, storage: p),
                                                   labels: input.validation.labels)
                        if best == nil || loss < best!.loss { best = (loss, d, n, r) }
                    }
                }
            }
            (depth, rounds, rate) = (best!.depth, best!.rounds, best!.rate)
            selection = "depth × learning rate × trees (\(Self.depthGrid) × \(Self.learningRateGrid) × \(Self.roundGrid)) by validation log-loss over \(input.validation.count) rows (best \(String(format: "%.4f", best!.loss)))"
        }
        let clf = try train(input, X, parameters(input, depth: depth, rounds: rounds, rate: rate))
        return try XGBoostCombiner(classifier: clf, featureSet: input.featureSet, layout: input.layout, version: input.version,
                                   fitSummary: LearnerFitSummary(hyperparameters: ["depth": Double(depth), "trees": Double(rounds),
                                                                                   "learning_rate": rate],
                                                                 selection: selection))
    }

    public func load(_ input: MetaLearnerLoadInput) throws -> any FittedMetaLearner {
        // libxgboost would read 1e999 as infinity; tree thresholds have no plausible bound to
        // check beyond that, so only non-finite numbers are refused here.
        if let literal = ArtifactCoding.firstOverflowingNumber(input.modelBytes) {
            throw ArtifactError(file: input.file, message: "number \(literal) is not finite (beyond ±\(Double.greatestFiniteMagnitude)); refused",
                                reason: .values)
        }
        do {
            return try XGBoostCombiner(modelJSON: input.modelBytes, featureSet: input.featureSet, layout: input.layout,
                                       version: input.version)
        } catch {
            throw ArtifactError(file: input.file, message: "refused by XGBoost: \(error)")
        }
    }
}
