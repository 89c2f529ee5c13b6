import Foundation
import StackdCore
import StackdLearning
import XCTest
@testable import StackdTraining

/// Per-output contributions (`output.contributions`): each learner's per-column decomposition
/// summed into one value per base model, one for the shared columns and the bias, for the served
/// class, checked against hand-computed values and against each learner's own outputs.
final class OutputContributionsTests: XCTestCase {
    /// Models a, b; K = 3; one regime; recent skill: 6 basic + 8 per-model + 5 cross + 1 regime + 2 skill.
    let layout = StackingFeatureLayout(models: ["a", "b"], classCount: 3, regimeNames: ["vol"], skillWindow: 10)

    func testColumnsMapToTheirModelSharedOrNothing() {
        let groups = ContributionGroups(layout)
        XCTAssertEqual(layout.count, 22)
        XCTAssertEqual(groups.count, 4)
        // a_p_short…a_p_long, b_p_*, a_conf…a_pred, b_conf…b_pred, 5 cross, vol, a_recent, b_recent.
        let expected = [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 0, 1]
        XCTAssertEqual((0..<22).map { groups.group(ofColumn: $0) }, expected)
        // The names agree: every column of a group names its model (or none of them, for shared).
        for (j, name) in layout.names.enumerated() {
            switch expected[j] {
            case 0: XCTAssertTrue(name.hasPrefix("a_"), name)
            case 1: XCTAssertTrue(name.hasPrefix("b_"), name)
            default: XCTAssertFalse(name.hasPrefix("a_") || name.hasPrefix("b_"), name)
            }
        }
        XCTAssertEqual(groups.scratchCount, 3 * 23)
    }

    /// Class 2's coefficients: a_p_long 2, b_p_long −1, a_conf 0.5, b_conf 1, all_agree 3,
    /// vol 1, b_recent_log_loss 2; intercept 0.25. Other classes: 0. With the features below,
    /// by hand: a = 2·0.5 + 0.5·0.5 = 1.25; b = −1·0.25 + 1·0.75 + 2·0.125 = 0.75;
    /// shared = 3·1 + 1·(−1) = 2; bias 0.25; the logit 4.25.
    func testLogisticGroupsAreHandComputedAndSumToTheServedLogit() throws {
        var w2 = [Double](repeating: 0, count: 22)
        w2[2] = 2; w2[5] = -1; w2[6] = 0.5; w2[10] = 1; w2[14] = 3; w2[19] = 1; w2[21] = 2
        let zero = [Double](repeating: 0, count: 22)
        let model = MultinomialLogisticRegression(coefficients: [zero, zero, w2], intercepts: [0, 0, 0.25])
        let combiner = LogisticCombiner(model: model, featureSet: .all, layout: layout, version: 3)
        var x = [Double](repeating: 0.375, count: 22)
        x[2] = 0.5; x[5] = 0.25; x[6] = 0.5; x[10] = 0.75; x[14] = 1; x[19] = -1; x[21] = 0.125
        let out = try groups(combiner, x, servedClass: 2)
        XCTAssertEqual(out, [1.25, 0.75, 2, 0.25])
        XCTAssertEqual(combiner.contributionScale, .logit)
        // The served probabilities are the softmax of the logits (0, 0, 4.25).
        let p = combiner.predictProbabilities(features: Matrix(rows: 1, cols: 22, storage: x))
        XCTAssertEqual(Foundation.log(p[0, 2] / p[0, 0]), out.reduce(0, +), accuracy: 1e-12)
    }

    /// Blend: weights a 0.5, b 0.25, prior 0.25 × (0.25, 0.25, 0.5). Class 2 by hand:
    /// a = 0.5·0.5 = 0.25, b = 0.25·0.5 = 0.125, bias = 0.25·0.5 = 0.125; served p = 0.5.
    func testBlendGroupsAreHandComputedAndSumToTheServedProbability() throws {
        let blend = FittedBlendCombiner(modelWeights: [0.5, 0.25], priorWeight: 0.25, prior: [0.25, 0.25, 0.5],
                                        layout: layout, version: 1,
                                        fitSummary: LearnerFitSummary(hyperparameters: [:], selection: "given"))
        var x = [Double](repeating: 0.9, count: 22)
        x.replaceSubrange(0..<6, with: [0.125, 0.375, 0.5, 0.25, 0.25, 0.5])
        let out = try groups(blend, x, servedClass: 2)
        XCTAssertEqual(out, [0.25, 0.125, 0, 0.125])
        XCTAssertEqual(blend.contributionScale, .probability)
        let served = x.withUnsafeBufferPointer { xp in
            [Double](unsafeUninitializedCapacity: 3) { buf, n in
                blend.combine(basePredictions: UnsafeBufferPointer(rebasing: xp[0..<6]), features: xp, presentMask: 3, into: buf)
                n = 3
            }
        }
        XCTAssertEqual(out.reduce(0, +), served[2])
    }

    /// XGBoost: per class, the groups and bias of TreeSHAP sum to the margin, so their softmax
    /// over the classes is XGBoost's own predicted probability vector.
    func testXGBoostGroupsSumToTheMarginsOfItsPredictions() throws {
        let rows = ArtifactTests.syntheticRows(n: 1_500)
        var config = TrainingConfiguration()
        config.regularisation = .fixed(LearnerHyperparameters(logisticC: 1, treeDepth: 2, treeEstimators: 20))
        let input = MetaLearnerFitInput(train: rows.subset(Array(0..<1_000)), validation: rows.subset(Array(1_000..<1_500)),
                                        featureSet: .extendedRegime, configuration: config,
                                        hyperparameters: config.regularisation.resolve(rows: 0), hyperparametersFixed: true)
        let x = try XCTUnwrap(try XGBoostLearner().fit(input) as? XGBoostCombiner)
        let P = try x.predictProbabilities(features: rows.features)
        var sharedSeen = false
        for i in [0, 7, 1_234] {
            let row = (0..<rows.features.cols).map { rows.features[i, $0] }
            let z = try (0..<3).map { c -> Double in
                let g = try groups(x, row, servedClass: c, models: 3)
                XCTAssertEqual(g.count, 5)
                if g[3] != 0 { sharedSeen = true }
                return g.reduce(0, +)
            }
            let m = z.max()!, e = z.map { Foundation.exp($0 - m) }, s = e.reduce(0, +)
            for c in 0..<3 { XCTAssertEqual(P[i, c], e[c] / s, accuracy: 1e-5) }
        }
        XCTAssertTrue(sharedSeen, "the cross-model and regime columns feed the shared group")
    }

    /// MLP: per class, the groups and bias (the exact secant decomposition) sum to the logit, so
    /// their softmax is the MLP's own predicted probability vector.
    func testMLPGroupsSumToTheLogitsOfItsPredictions() throws {
        let rows = ArtifactTests.syntheticRows(n: 900)
        let input = MetaLearnerFitInput(train: rows.subset(Array(0..<600)), validation: rows.subset(Array(600..<900)),
                                        featureSet: .extended, configuration: .init(), hyperparameters: .forSampleSize(600),
                                        hyperparametersFixed: false)
        let mlp = try MLPLearner().fit(input)
        XCTAssertEqual(mlp.contributionSpace, .logit)
        let P = try mlp.predictProbabilities(features: rows.features)
        for i in [0, 11, 850] {
            let row = (0..<rows.features.cols).map { rows.features[i, $0] }
            let z = try (0..<3).map { c in try groups(try XCTUnwrap(mlp as? MLPCombiner), row, servedClass: c, models: 3).reduce(0, +) }
            let m = z.max()!, e = z.map { Foundation.exp($0 - m) }, total = e.reduce(0, +)
            for c in 0..<3 { XCTAssertEqual(P[i, c], e[c] / total, accuracy: 1e-9) }
        }
    }

    /// Through the pipeline: with `contributions` on, an output of an installed logistic model
    /// carries the groups of its predicted class, in logit space; off, it carries none.
    func testThePipelineAttachesContributionsOnlyWhenConfigured() throws {
        let basic = StackingFeatureLayout(models: ["a", "b"], classCount: 3)
        // Class 0 ← a_p_short × 4, class 2 ← b_p_long × 2; intercepts 0, 0, −0.5.
        var w0 = [Double](repeating: 0, count: 6), w2 = w0
        w0[0] = 4; w2[5] = 2
        let model = MultinomialLogisticRegression(coefficients: [w0, [Double](repeating: 0, count: 6), w2],
                                                  intercepts: [0, 0, -0.5])
        for on in [false, true] {
            var configuration = PipelineConfiguration(models: ["b", "a"], horizons: [5])
            configuration.contributions = on
            let pipeline = try StackingPipeline(configuration: configuration)
            pipeline.install(LogisticCombiner(model: model, featureSet: .basic, layout: basic, version: 7), forHorizonIndex: 0)
            var capture = Capture()
            for (name, p) in [("a", [0.5, 0.25, 0.25]), ("b", [0.25, 0.25, 0.5])] {
                let payload = WireEncoder.binaryPrediction(model: name, symbol: "SPX", horizon: 5, eventTime: 1_000,
                                                           sequence: 0, probabilities: p)
                let topic = Array("pred.SPX.5.\(name)".utf8)
                _ = payload.withUnsafeBytes { pb in
                    topic.withUnsafeBytes { tb in pipeline.ingest(topic: tb, payload: pb, receivedAt: 1, handler: &capture) }
                }
            }
            let output = try XCTUnwrap(capture.outputs.first)
            if !on {
                XCTAssertNil(output.contributions)
                continue
            }
            // Logits: class 0 = 4·0.5 = 2, class 2 = 2·0.5 − 0.5 = 0.5: class 0 is served; a gives 2, b 0.
            XCTAssertEqual(output.predictedClass, 0)
            let c = try XCTUnwrap(output.contributions)
            XCTAssertEqual(c.scale, .logit)
            XCTAssertEqual(c.servedClass, 0)
            XCTAssertEqual(c.values, [2, 0, 0, 0])
            XCTAssertEqual(Foundation.log(output.probabilities[0] / output.probabilities[1]), 2, accuracy: 1e-12)
        }
    }

    /// With the counting shim preloaded (`LD_PRELOAD=alloccount.so`, bench/README.md), the ingest
    /// of 1 800 counted rows with contributions on allocates as often as with them off, for every
    /// allocation-free combiner (averaging, prior fallback, logistic, blend, MLP): the block is
    /// computed into the pipeline's preallocated buffers. Skipped without the shim.
    func testContributionsAddNoAllocationPerOutputUnderTheCountingShim() throws {
        typealias SelfFn = @convention(c) () -> UInt64
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "alloccount_self") else {
            throw XCTSkip("run with LD_PRELOAD=alloccount.so (bench/shim) to count allocations")
        }
        let allocations = unsafeBitCast(symbol, to: SelfFn.self)
        let two = StackingFeatureLayout(models: ["a", "b"], classCount: 3)
        let f = MetaFeatureSet.extended.columnCount(two)
        var coefficients: [[Double]] = []
        for c in 0..<3 {
            var row: [Double] = []
            for j in 0..<f { row.append(Double((c * 7 + j * 3) % 5) * 0.125 - 0.25) }
            coefficients.append(row)
        }
        let logistic = LogisticCombiner(model: MultinomialLogisticRegression(coefficients: coefficients, intercepts: [0.1, 0, -0.1]),
                                        featureSet: .extended, layout: two, version: 1)
        let blend = FittedBlendCombiner(modelWeights: [0.5, 0.25], priorWeight: 0.25, prior: [0.25, 0.25, 0.5], layout: two,
                                        version: 2, fitSummary: LearnerFitSummary(hyperparameters: [:], selection: "given"))
        let mlpRows = ArtifactTests.syntheticRows(n: 600)
        let mlpInput = MetaLearnerFitInput(train: mlpRows.subset(Array(0..<400)), validation: mlpRows.subset(Array(400..<600)),
                                           featureSet: .basic, configuration: .init(), hyperparameters: .forSampleSize(400),
                                           hyperparametersFixed: false)
        let mlp = try MLPLearner().fit(mlpInput)
        let rows = 2_000
        var messages: [([UInt8], [UInt8])] = []
        for r in 0..<(rows + 1) {
            for (j, name) in ["a", "b", "c"].enumerated() {
                var w: [Double] = []
                for c in 0..<3 { w.append(Double(1 + (r * 7 + j * 3 + c * 5) % 11)) }
                let total = w.reduce(0, +)
                let payload = WireEncoder.binaryPrediction(model: name, symbol: "SPX", horizon: 5, eventTime: Int64(r + 1) * 1_000,
                                                           sequence: UInt64(r), probabilities: w.map { $0 / total })
                messages.append((Array("pred.SPX.5.\(name)".utf8), payload))
            }
        }
        func count(_ combiner: (any MetaCombiner)?, models: [String], contributions: Bool) throws -> UInt64 {
            var configuration = PipelineConfiguration(models: models, horizons: [5])
            configuration.contributions = contributions
            let pipeline = try StackingPipeline(configuration: configuration)
            if let combiner { pipeline.install(combiner, forHorizonIndex: 0) }
            var handler = EncodingHandler()
            defer { handler.payload.deallocate() }
            var before: UInt64 = 0
            for (i, (topic, payload)) in messages.enumerated() where models.contains(String(decoding: topic.suffix(1), as: UTF8.self)) {
                if i == 3 * 200 { before = allocations() }
                _ = payload.withUnsafeBytes { p in
                    topic.withUnsafeBytes { t in pipeline.ingest(topic: t, payload: p, receivedAt: Int64(i), handler: &handler) }
                }
            }
            let after = allocations()
            XCTAssertEqual(handler.withContributions, contributions ? handler.emitted : 0)
            return after - before
        }
        let prior = PriorShrinkageCombiner(modelCount: 3, classCount: 3, averagingWeight: 0.5, prior: [0.25, 0.25, 0.5], version: 3)
        let cases: [(String, (any MetaCombiner)?, [String])] = [
            ("averaging", nil, ["a", "b", "c"]), ("prior fallback", prior, ["a", "b", "c"]),
            ("logistic", logistic, ["a", "b"]), ("blend", blend, ["a", "b"]), ("mlp", mlp, ["a", "b", "c"])]
        for (name, combiner, models) in cases {
            let off = try count(combiner, models: models, contributions: false)
            let on = try count(combiner, models: models, contributions: true)
            // A debug build's pipeline allocates a few times per row on both sides, and the
            // counts differ by a handful between runs; one allocation per output would add 1 800.
            XCTAssertLessThan(on, off + UInt64(rows / 100), "\(name): contributions must not allocate (off \(off), on \(on) over \(rows) rows)")
        }
    }

    /// What `EnsemblePublisher` does per output minus the socket: the binary encoding, into a
    /// preallocated buffer.
    struct EncodingHandler: EnsembleOutputHandler {
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)
        var emitted = 0, withContributions = 0
        mutating func emit(_ e: EnsembleEmission) {
            _ = WireEncoder.writeBinaryEnsemble(e, latencyNanoseconds: 0, into: payload)
            emitted += 1
            if e.contributions != nil { withContributions += 1 }
        }
    }

    struct Output {
        var predictedClass: Int
        var probabilities: [Double]
        var contributions: (scale: ContributionScale, servedClass: Int, values: [Double])?
    }

    struct Capture: EnsembleOutputHandler {
        var outputs: [Output] = []
        mutating func emit(_ e: EnsembleEmission) {
            outputs.append(Output(predictedClass: e.predictedClass, probabilities: Array(e.probabilities),
                                  contributions: e.contributions.map { ($0.scale, $0.servedClass, Array($0.values)) }))
        }
    }

    /// The M + 2 groups `combiner` writes for one row (M = `models`).
    func groups(_ combiner: some ContributingCombiner, _ features: [Double], servedClass: Int, models: Int = 2) throws -> [Double] {
        var scratch = [Double](repeating: .nan, count: 3 * (features.count + 1))
        var out = [Double](repeating: .nan, count: models + 2)
        let ok = features.withUnsafeBufferPointer { x in
            scratch.withUnsafeMutableBufferPointer { s in
                out.withUnsafeMutableBufferPointer { o in
                    combiner.writeContributions(servedClass: servedClass, basePredictions: UnsafeBufferPointer(rebasing: x[0..<6]),
                                                features: x, presentMask: 3, scratch: s, into: o)
                }
            }
        }
        XCTAssertTrue(ok)
        return out
    }
}
