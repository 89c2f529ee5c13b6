import Foundation
import StackdCore
import StackdLearning
import XCTest
@testable import StackdTraining

/// The MLP meta-learner inside the training protocol: registered and selectable, fitted on
/// meta-train with α and iterations chosen on the validation rows, shown in the comparison
/// table, and written to / loaded from `model.json` without changing a prediction.
final class MLPLearnerTests: XCTestCase {
    var tmp: String!
    override func setUp() { tmp = NSTemporaryDirectory() + "stackd-mlp-\(UUID().uuidString)" }
    override func tearDown() { try? FileManager.default.removeItem(atPath: tmp) }

    static let rows = ArtifactTests.syntheticRows()

    func train() throws -> TrainingOutcome {
        try MetaTrainer.train(rows: Self.rows, horizon: 5,
                              configuration: TrainingConfiguration(candidates: [CandidateKind(learner: MLPLearner.name, featureSet: .extended)]))
    }

    func testRegisteredUnderItsNameAndFormat() {
        XCTAssertTrue(MetaLearnerRegistry.names.contains("mlp"))
        XCTAssertTrue(MetaLearnerRegistry.learner(format: ModelFormat(rawValue: "stackd-mlp")) is MLPLearner)
        XCTAssertTrue(CandidateKind.auto(.extended).contains(CandidateKind(learner: "mlp", featureSet: .extended)))
    }

    func testTrainedCandidateIsInTheComparisonTableWithItsSelection() throws {
        let o = try train()
        let candidate = try XCTUnwrap(o.candidates.first { $0.name.hasPrefix("MLP meta (ext, F=") })
        let combiner = try XCTUnwrap(candidate.combiner as? MLPCombiner)
        XCTAssertEqual(combiner.method, .mlp)
        XCTAssertTrue(o.comparison.contains { $0.name == candidate.name && $0.role == .candidate })
        let summary = combiner.fitSummary
        XCTAssertTrue(MLPLearner.alphaGrid.contains(try XCTUnwrap(summary.hyperparameters["alpha"])))
        XCTAssertEqual(summary.hyperparameters["hidden_units"], Double(MLPLearner.hiddenUnits))
        XCTAssertTrue(summary.selection.contains("early stopping"), summary.selection)
        // α and the number of iterations were chosen on the newest meta-train rows; the served
        // network is that choice refitted on all of meta-train, without validation rows, for
        // the chosen number of iterations.
        XCTAssertTrue(summary.selection.contains("refitted on all"), summary.selection)
        let report = try XCTUnwrap(combiner.model.report)
        let split = ChronologicalSplit(timestamps: Self.rows.eventTimes, exitTimestamps: Self.rows.exitTimes, trainFraction: 0.8)
        let valid = Self.rows.subset(split.test)
        XCTAssertEqual(report.validationRows, 0)
        XCTAssertEqual(report.rows, split.train.count)
        XCTAssertLessThanOrEqual(report.iterations, MLPLearner.maxIterations)
        let served = Metrics.logLoss(probabilities: combiner.predictProbabilities(features: valid.features), labels: valid.labels)
        let scored = try XCTUnwrap(o.comparison.first { $0.name == candidate.name })
        XCTAssertEqual(scored.validation.logLoss, served, accuracy: 1e-12)
        // Better than the class prior on this learnable synthetic stream.
        let prior = try XCTUnwrap(o.comparison.first { $0.name == MetaTrainer.classPriorName })
        XCTAssertLessThan(served, prior.validation.logLoss)
    }

    /// A retrain the daemon's stop interrupted yields no candidate rather than a half-fitted one.
    func testCancelledFitThrows() {
        let token = TrainingCancellation()
        token.cancel()
        let split = ChronologicalSplit(timestamps: Self.rows.eventTimes, exitTimestamps: Self.rows.exitTimes, trainFraction: 0.8)
        let input = MetaLearnerFitInput(train: Self.rows.subset(split.train), validation: Self.rows.subset(split.test), featureSet: .extended,
                                        configuration: TrainingConfiguration(), hyperparameters: .forSampleSize(split.train.count),
                                        hyperparametersFixed: false)
        XCTAssertThrowsError(try token.withCurrent { try MLPLearner().fit(input) }) { XCTAssertTrue($0 is CancellationError, "\($0)") }
    }

    func testFitIsDeterministic() throws {
        let a = try train(), b = try train()
        let ma = try XCTUnwrap(a.candidates.first?.combiner as? MLPCombiner), mb = try XCTUnwrap(b.candidates.first?.combiner as? MLPCombiner)
        XCTAssertEqual(ma.model, mb.model)
    }

    func testArtifactRoundTripGivesIdenticalPredictions() throws {
        var o = try train()
        o.chosen = o.candidates[0].combiner
        try ArtifactWriter.write(o, to: tmp)
        let loaded = try ArtifactLoader.load(root: tmp, horizon: 5, layout: Self.rows.layout)
        XCTAssertEqual(loaded.combiner.method, .mlp)
        let sample = Self.rows.subset(Array(0..<400))
        XCTAssertEqual(MetaTrainer.evaluate(o.chosen, on: sample).storage, MetaTrainer.evaluate(loaded.combiner, on: sample).storage)
    }

    func testDamagedModelFileIsRefusedNamingIt() throws {
        var o = try train()
        o.chosen = o.candidates[0].combiner
        try ArtifactWriter.write(o, to: tmp)
        let file = (tmp as NSString).appendingPathComponent("h5/model.json")
        let original = try Data(contentsOf: URL(fileURLWithPath: file))
        func refused(_ edit: (inout [String: Any]) -> Void) throws -> ArtifactError? {
            var doc = try JSONSerialization.jsonObject(with: original) as! [String: Any]
            edit(&doc)
            try JSONSerialization.data(withJSONObject: doc).write(to: URL(fileURLWithPath: file))
            do { _ = try ArtifactLoader.load(root: tmp, horizon: 5, layout: Self.rows.layout); return nil } catch let e as ArtifactError { return e }
        }
        let shape = try XCTUnwrap(try refused { $0["output_biases"] = [0.0, 0.0] })
        XCTAssertTrue(shape.file.hasSuffix("h5/model.json"))
        XCTAssertTrue(shape.message.contains("weight shapes"), shape.message)
        let huge = try XCTUnwrap(try refused { d in
            var w = d["hidden_weights"] as! [[Double]]
            w[0][0] = 1e300
            d["hidden_weights"] = w
        })
        XCTAssertEqual(huge.reason, .values)
        XCTAssertNotNil(try refused { $0["activation"] = "sigmoid" })
        XCTAssertNotNil(try refused { $0["hidden_units"] = 0; $0["hidden_biases"] = [Double](); $0["output_weights"] = [[Double]]() })
    }

    /// The served row path equals the batch path, and the contributions add up to the logits.
    func testCombineAndContributionsAgreeWithTheModel() throws {
        let o = try train()
        let c = try XCTUnwrap(o.candidates.first?.combiner as? MLPCombiner)
        let sample = Self.rows.subset(Array(0..<50))
        XCTAssertEqual(MetaTrainer.evaluate(c, on: sample).storage, c.predictProbabilities(features: sample.features).storage)
        let F = c.featureCount, K = 3
        var out = [Double](repeating: 0, count: K * (F + 1)), p = [Double](repeating: 0, count: K)
        for i in 0..<sample.count {
            sample.features.withRow(i) { row in
                out.withUnsafeMutableBufferPointer { c.contributions(features: row, into: $0) }
                p.withUnsafeMutableBufferPointer { c.combine(basePredictions: row, features: row, presentMask: 0b111, into: $0) }
            }
            let logits = (0..<K).map { k in out[(k * (F + 1))..<((k + 1) * (F + 1))].reduce(0, +) }
            let m = logits.max()!, e = logits.map { Foundation.exp($0 - m) }, s = e.reduce(0, +)
            for k in 0..<K { XCTAssertEqual(e[k] / s, p[k], accuracy: 1e-12) }
        }
    }
}

extension MLPLearnerTests {
    /// Sample artifacts with the MLP served, for tests/python/test_artifact_schemas.py (which runs
    /// every `testWriteSamplesForSchemaValidation`).
    func testWriteSamplesForSchemaValidation() throws {
        guard let dir = ProcessInfo.processInfo.environment["STACKD_ARTIFACT_SAMPLES"] else {
            throw XCTSkip("set STACKD_ARTIFACT_SAMPLES to write sample artifacts")
        }
        var o = try train()
        o.chosen = o.candidates[0].combiner
        try ArtifactWriter.write(o, to: dir + "/mlp")
        try ArtifactWriter.writeSummary([o], to: dir + "/mlp")
    }
}
