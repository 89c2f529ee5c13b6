import Foundation
import StackdCore
import StackdLearning
import XCTest
@testable import StackdTraining

/// The learner protocol: the registry, each learner's fit against independent truth, exact
/// per-prediction contributions, and the candidates the ensemble-method rule fits.
final class MetaLearnerTests: XCTestCase {
    /// Two components, each row's label probability (0.8, 0.2) on half the rows and (0.3, 0.6) on
    /// the other half. d/dw of ½ln(0.2 + 0.6w) + ½ln(0.6 − 0.3w) = 0 ⇔ 0.6(0.6 − 0.3w) = 0.3(0.2 + 0.6w)
    /// ⇔ w = 0.30 / 0.36 = 5/6. A third component giving the label 0.1 everywhere has
    /// mean(0.1 / p) = ½(0.1/0.7 + 0.1/0.35) < 1 at that optimum, so its weight is 0.
    func testBlendWeightsAreTheHandSolvedMaximumLikelihood() {
        let n = 1_000
        var q: [Double] = []
        for i in 0..<n { q += i % 2 == 0 ? [0.8, 0.2] : [0.3, 0.6] }
        let two = BlendLearner.fitWeights(labelProbabilities: q, rows: n, components: 2)
        XCTAssertEqual(two.weights[0], 5.0 / 6, accuracy: 1e-6)
        XCTAssertEqual(two.weights[1], 1.0 / 6, accuracy: 1e-6)
        var q3: [Double] = []
        for i in 0..<n { q3 += (i % 2 == 0 ? [0.8, 0.2] : [0.3, 0.6]) + [0.1] }
        let three = BlendLearner.fitWeights(labelProbabilities: q3, rows: n, components: 3)
        XCTAssertEqual(three.weights[0], 5.0 / 6, accuracy: 1e-6)
        XCTAssertEqual(three.weights[1], 1.0 / 6, accuracy: 1e-6)
        XCTAssertEqual(three.weights[2], 0)
        XCTAssertEqual(three.weights.reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertTrue(two.converged && three.converged)
        XCTAssertLessThan(three.iterations, 50)
        // Two identical copies of a component (collinear columns): the pair shares the weight 5/6.
        var q4: [Double] = []
        for i in 0..<n { q4 += i % 2 == 0 ? [0.8, 0.8, 0.2] : [0.3, 0.3, 0.6] }
        let copies = BlendLearner.fitWeights(labelProbabilities: q4, rows: n, components: 3)
        XCTAssertEqual(copies.weights[0] + copies.weights[1], 5.0 / 6, accuracy: 1e-6)
        XCTAssertEqual(copies.weights[2], 1.0 / 6, accuracy: 1e-6)
    }

    /// One model always certain of the truth: the blend puts all weight on it.
    func testBlendPutsAllWeightOnAPerfectModel() {
        let n = 200
        var q: [Double] = []
        for i in 0..<n { q += [1.0, i % 3 == 0 ? 0.9 : 0.05, 1.0 / 3] }
        let fit = BlendLearner.fitWeights(labelProbabilities: q, rows: n, components: 3)
        let w = fit.weights
        XCTAssertTrue(fit.converged)
        XCTAssertEqual(w[0], 1, accuracy: 1e-6)
        XCTAssertEqual(w[1] + w[2], 0, accuracy: 1e-6)
    }

    /// The served blend is Σ w_m p_m + w_prior·prior, and its contributions add up to it.
    func testServedBlendIsTheWeightedSumAndItsContributionsAddUp() throws {
        let rows = ArtifactTests.syntheticRows(n: 3_000)
        let input = MetaLearnerFitInput(train: rows.subset(Array(0..<2_000)), validation: rows.subset(Array(2_000..<3_000)),
                                        featureSet: .basic, configuration: .init(), hyperparameters: .forSampleSize(2_000),
                                        hyperparametersFixed: false)
        let blend = try XCTUnwrap(try BlendLearner().fit(input) as? FittedBlendCombiner)
        XCTAssertEqual(blend.modelWeights.reduce(0, +) + blend.priorWeight, 1, accuracy: 1e-12)
        // Model c has the strongest signal in the synthetic stream (bonus 0.3 + 0.2·m on the truth).
        XCTAssertGreaterThan(blend.modelWeights[2], blend.modelWeights[0])
        let P = try blend.predictProbabilities(features: rows.features)
        let served = MetaTrainer.evaluate(blend, on: rows)
        let f = blend.featureCount
        var contributions = [Double](repeating: 0, count: 3 * (f + 1))
        for i in [0, 1, 999] {
            for c in 0..<3 {
                var expected = blend.priorWeight * blend.prior[c]
                for m in 0..<3 { expected += blend.modelWeights[m] * rows.basePredictions[i, m * 3 + c] }
                XCTAssertEqual(P[i, c], expected, accuracy: 1e-15)
                XCTAssertEqual(served[i, c], expected, accuracy: 1e-15)
            }
            try rows.features.withRow(i) { x in
                try contributions.withUnsafeMutableBufferPointer { try blend.contributions(features: x, into: $0) }
            }
            for c in 0..<3 {
                XCTAssertEqual(contributions[(c * (f + 1))..<((c + 1) * (f + 1))].reduce(0, +), P[i, c], accuracy: 1e-14)
            }
        }
        XCTAssertEqual(blend.contributionSpace, .probability)
    }

    /// Logistic contributions are exact: coefficient × feature, intercept last; softmax of each
    /// class's sum is the served probability.
    func testLogisticContributionsSumToTheLogits() throws {
        let model = MultinomialLogisticRegression(coefficients: [[0.5, -1, 2], [0, 0.25, -0.5], [-0.5, 0.75, -1.5]],
                                                  intercepts: [0.1, 0, -0.1], C: 1)
        let layout = StackingFeatureLayout(models: ["m"], classCount: 3, includesRegimes: false)
        let l = LogisticCombiner(model: model, featureSet: .basic, layout: layout, version: 1)
        let x: [Double] = [0.2, 0.3, 0.5]
        var out = [Double](repeating: 0, count: 12)
        x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { l.contributions(features: xp, into: $0) } }
        // Hand-computed: class 0 → 0.1, −0.3, 1.0, bias 0.1 (logit 0.9); class 1 → 0, 0.075, −0.25, 0 (−0.175);
        // class 2 → −0.1, 0.225, −0.75, −0.1 (−0.725).
        let expected: [Double] = [0.1, -0.3, 1.0, 0.1, 0, 0.075, -0.25, 0, -0.1, 0.225, -0.75, -0.1]
        for (a, b) in zip(out, expected) { XCTAssertEqual(a, b, accuracy: 1e-15) }
        let z = [0.9, -0.175, -0.725], e = z.map { Foundation.exp($0) }, s = e.reduce(0, +)
        let p = l.predictProbabilities(features: Matrix(rows: 1, cols: 3, storage: x))
        for c in 0..<3 { XCTAssertEqual(p[0, c], e[c] / s, accuracy: 1e-14) }
    }

    /// XGBoost's pred_contribs: softmax of each class's sum is the predicted probability.
    func testXGBoostContributionsSumToTheMargins() throws {
        let rows = ArtifactTests.syntheticRows(n: 1_500)
        var config = TrainingConfiguration()
        config.regularisation = .fixed(LearnerHyperparameters(logisticC: 1, treeDepth: 2, treeEstimators: 20))
        let input = MetaLearnerFitInput(train: rows.subset(Array(0..<1_000)), validation: rows.subset(Array(1_000..<1_500)),
                                        featureSet: .basic, configuration: config, hyperparameters: config.regularisation.resolve(rows: 0),
                                        hyperparametersFixed: true)
        let x = try XGBoostLearner().fit(input)
        XCTAssertEqual(x.fitSummary.hyperparameters["depth"], 2)
        XCTAssertEqual(x.fitSummary.hyperparameters["trees"], 20)
        let f = x.featureCount
        let P = try x.predictProbabilities(features: rows.features)
        var out = [Double](repeating: 0, count: 3 * (f + 1))
        for i in [0, 7, 1_234] {
            try rows.features.withRow(i) { r in try out.withUnsafeMutableBufferPointer { try x.contributions(features: r, into: $0) } }
            let z = (0..<3).map { c in out[(c * (f + 1))..<((c + 1) * (f + 1))].reduce(0, +) }
            let m = z.max()!, e = z.map { Foundation.exp($0 - m) }, s = e.reduce(0, +)
            for c in 0..<3 { XCTAssertEqual(P[i, c], e[c] / s, accuracy: 1e-5) }
        }
    }

    /// The C served is the one with the lowest validation log-loss over the grid, each fitted
    /// on meta-train only (recomputed here directly with the regression).
    func testLogisticCIsTheGridValueWithTheLowestValidationLogLoss() throws {
        let rows = ArtifactTests.syntheticRows(n: 2_000)
        let train = rows.subset(Array(0..<1_400)), valid = rows.subset(Array(1_400..<2_000))
        let input = MetaLearnerFitInput(train: train, validation: valid, featureSet: .basic, configuration: .init(),
                                        hyperparameters: .forSampleSize(1_400), hyperparametersFixed: false)
        let fitted = try XCTUnwrap(try LogisticLearner().fit(input) as? LogisticCombiner)
        let Xtr = train.features.selectingColumns(Array(0..<9)), Xv = valid.features.selectingColumns(Array(0..<9))
        let losses = try LogisticLearner.cGrid.map { c in
            Metrics.logLoss(probabilities: try MultinomialLogisticRegression.fit(X: Xtr, y: train.labels, classes: 3, C: c).predictProbabilities(Xv),
                            labels: valid.labels)
        }
        let best = LogisticLearner.cGrid[losses.firstIndex(of: losses.min()!)!]
        XCTAssertEqual(fitted.model.C, best)
        XCTAssertEqual(fitted.fitSummary.hyperparameters["c"], best)
        // Fixed hyper-parameters are used as given, nothing searched.
        var fixed = input
        fixed.hyperparametersFixed = true
        fixed.hyperparameters.logisticC = 0.42
        XCTAssertEqual((try LogisticLearner().fit(fixed) as? LogisticCombiner)?.model.C, 0.42)
    }

    /// `learner.logistic_c` fixes the logistic C alone: the model is the plain fit at that C on
    /// meta-train (recomputed directly), nothing is searched, and `learner.c` (fixed
    /// hyper-parameters for every learner) still wins over it.
    func testConfiguredLogisticCIsFittedAsGivenAndFixedHyperparametersOverrideIt() throws {
        let rows = ArtifactTests.syntheticRows(n: 2_000)
        let train = rows.subset(Array(0..<1_400)), valid = rows.subset(Array(1_400..<2_000))
        var configuration = TrainingConfiguration()
        configuration.logisticC = 0.042  // not a grid value, so a search could not have returned it
        XCTAssertFalse(LogisticLearner.cGrid.contains(0.042))
        let input = MetaLearnerFitInput(train: train, validation: valid, featureSet: .basic, configuration: configuration,
                                        hyperparameters: .forSampleSize(1_400), hyperparametersFixed: false)
        let fitted = try XCTUnwrap(try LogisticLearner().fit(input) as? LogisticCombiner)
        XCTAssertEqual(fitted.model.C, 0.042)
        XCTAssertEqual(fitted.fitSummary.hyperparameters["c"], 0.042)
        XCTAssertEqual(fitted.fitSummary.selection, "logistic C fixed by configuration")
        let direct = try MultinomialLogisticRegression.fit(X: train.features.selectingColumns(Array(0..<9)), y: train.labels, classes: 3, C: 0.042)
        XCTAssertEqual(fitted.model.coefficients, direct.coefficients)
        XCTAssertEqual(fitted.model.intercepts, direct.intercepts)
        var fixed = input
        fixed.hyperparametersFixed = true
        fixed.hyperparameters.logisticC = 0.42
        XCTAssertEqual((try LogisticLearner().fit(fixed) as? LogisticCombiner)?.model.C, 0.42)
    }

    /// The gate judges a calibrated candidate on cross-fitted probabilities: each time half of
    /// the validation rows scaled with the temperature fitted on the other half only.
    func testTemperatureIsCrossFittedForJudgingAndFittedOnAllRowsForServing() throws {
        // Over-confident on the first half (T > 1 fits), under-confident on the second (T < 1).
        var rows: [[Double]] = [], labels: [Int] = []
        for i in 0..<400 {
            let y = i % 3
            let right = i < 200 ? (i % 5 == 0 ? 0.02 : 0.96) : (i % 5 == 0 ? 0.3 : 0.45)
            let wrong = (1 - right) / 2
            rows.append((0..<3).map { $0 == y ? right : wrong })
            labels.append(i % 5 == 0 && i < 200 ? (y + 1) % 3 : y)
        }
        let P = Matrix(rowArrays: rows)
        let r = try XCTUnwrap(MetaTrainer.crossFittedTemperature(P, labels: labels))
        let first = Array(0..<200), second = Array(200..<400)
        let tFirst = try TemperatureScaling(fitting: P.selectingRows(first), labels: first.map { labels[$0] })
        let tSecond = try TemperatureScaling(fitting: P.selectingRows(second), labels: second.map { labels[$0] })
        XCTAssertNotEqual(tFirst.temperature, tSecond.temperature, accuracy: 0.1)
        XCTAssertEqual(r.crossFitted.selectingRows(first).storage, tSecond.apply(P.selectingRows(first)).storage)
        XCTAssertEqual(r.crossFitted.selectingRows(second).storage, tFirst.apply(P.selectingRows(second)).storage)
        XCTAssertEqual(r.served.temperature, try TemperatureScaling(fitting: P, labels: labels).temperature)
        // Too few rows for two halves: no calibrated variant.
        XCTAssertNil(MetaTrainer.crossFittedTemperature(P.selectingRows(Array(0..<99)), labels: Array(labels[0..<99])))
    }

    func testRegistryResolvesEveryLearnerByNameAndFormat() throws {
        // Other learners may be registered after these three; names are unique.
        XCTAssertEqual(Array(MetaLearnerRegistry.names.prefix(3)), ["logistic", "xgboost", "blend"])
        XCTAssertEqual(Set(MetaLearnerRegistry.names).count, MetaLearnerRegistry.names.count)
        for l in MetaLearnerRegistry.learners {
            XCTAssertEqual(MetaLearnerRegistry.learner(named: l.name)?.name, l.name)
            XCTAssertEqual(MetaLearnerRegistry.learner(format: l.modelFormat)?.name, l.name)
        }
        XCTAssertNil(MetaLearnerRegistry.learner(named: "forest"))
        let auto = CandidateKind.auto(.extended)
        XCTAssertEqual(auto.map(\.learner), MetaLearnerRegistry.names)
        XCTAssertEqual(Array(auto.prefix(3)), [.logistic(.extended), .xgboost(.extended), .blend])
        var config = TrainingConfiguration(candidates: [CandidateKind(learner: "forest", featureSet: .basic)])
        config.applyEnsembleMethodRule = false
        XCTAssertThrowsError(try MetaTrainer.train(rows: ArtifactTests.syntheticRows(n: 300), horizon: 5, configuration: config)) { e in
            XCTAssertTrue("\(e)".contains("unknown learner 'forest'"), "\(e)")
        }
    }

    /// Below `minimumRowsForStacking` the rule narrows the features, never the learner: XGBoost
    /// asked for is XGBoost fitted (on the basic set), not a logistic model in its place. With
    /// too few rows to learn a combination, the fitted blend is what is learned.
    func testTheEnsembleMethodRuleNarrowsFeaturesButNeverSwapsTheLearner() {
        let layout = StackingFeatureLayout(models: ["a", "b", "c"], classCount: 3, includesRegimes: false)
        XCTAssertEqual(MetaTrainer.candidateKinds(method: .blending, configured: [.xgboost(.extended)], layout: layout), [.xgboost(.basic)])
        XCTAssertEqual(MetaTrainer.candidateKinds(method: .blending, configured: [.logistic(.extended), .xgboost(.extended), .blend], layout: layout),
                       [.logistic(.basic), .xgboost(.basic), .blend])
        XCTAssertEqual(MetaTrainer.candidateKinds(method: .weightedAverage, configured: [.xgboost(.extended)], layout: layout), [.blend])
        XCTAssertEqual(MetaTrainer.candidateKinds(method: .weightedAverage, configured: [], layout: layout), [])
        XCTAssertEqual(MetaTrainer.candidateKinds(method: .stacking, configured: [.logistic(.extendedRegime), .xgboost(.extended)], layout: layout),
                       [.xgboost(.extended)])
    }

    /// End to end under the blending rule (1 000 ≤ meta-train rows < 5 000): the XGBoost candidate
    /// in the comparison is an XGBoost model.
    func testXGBoostIsFittedUnderTheBlendingRule() throws {
        let rows = ArtifactTests.syntheticRows(n: 3_000)
        var config = TrainingConfiguration(candidates: [.xgboost(.extended)])
        config.calibrate = false
        let o = try MetaTrainer.train(rows: rows, horizon: 5, configuration: config)
        XCTAssertEqual(o.ensembleMethod, .blending)
        XCTAssertEqual(o.candidates.map(\.name), ["XGB meta (basic, F=9)"])
        XCTAssertTrue(o.candidates[0].combiner is XGBoostCombiner)
    }
}

/// The gate's validation rows never influence what is fitted: hyper-parameters are chosen inside
/// meta-train, so the served learners are identical whatever the validation labels are.
final class SelectionIsolationTests: XCTestCase {
    func testValidationLabelsDoNotChangeTheFittedLearners() throws {
        let rows = ArtifactTests.syntheticRows(n: 6_500)
        let split = ChronologicalSplit(timestamps: rows.eventTimes, exitTimestamps: rows.exitTimes, trainFraction: 0.8)
        // Every validation row relabelled "short": a grid searched on these rows would pick another C.
        var labels = rows.labels
        for i in split.test { labels[i] = 0 }
        let relabelled = TrainingRows(horizon: rows.horizon, models: rows.models, classCount: 3, eventTimes: rows.eventTimes,
                                      exitTimes: rows.exitTimes, symbolIDs: rows.symbolIDs, symbols: rows.symbols, labels: labels,
                                      forwardReturns: rows.forwardReturns, basePredictions: rows.basePredictions,
                                      features: rows.features, layout: rows.layout)
        var config = TrainingConfiguration(candidates: [.logistic(.extended), .blend])
        config.calibrate = false
        let a = try MetaTrainer.train(rows: rows, horizon: 5, configuration: config)
        let b = try MetaTrainer.train(rows: relabelled, horizon: 5, configuration: config)
        XCTAssertEqual(a.candidates.count, 2)
        for (x, y) in zip(a.candidates, b.candidates) {
            XCTAssertEqual(x.combiner.fitSummary, y.combiner.fitSummary, x.name)
            XCTAssertTrue(MetaTrainer.evaluate(x.combiner, on: rows) == MetaTrainer.evaluate(y.combiner, on: rows),
                          "\(x.name): predictions differ")
        }
        // …while their scores on the (different) validation rows differ.
        XCTAssertNotEqual(a.candidates.first.flatMap { a.score($0.name) }?.validation.logLoss,
                          b.candidates.first.flatMap { b.score($0.name) }?.validation.logLoss)
    }
}
