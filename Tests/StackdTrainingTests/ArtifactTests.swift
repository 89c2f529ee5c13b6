import Foundation
import StackdCore
import StackdLearning
import StackdTestSupport
@testable import StackdTraining
import XCTest

/// Artifacts: round trip, refusals naming the file, and sample files for the Python schema test.
final class ArtifactTests: XCTestCase {
    /// A small deterministic synthetic stream (no shared data needed): 3 models, 7 000 events (enough rows for the stacking branch).
    static func syntheticRows(n: Int = 7_000, horizon: Int = 5) -> TrainingRows {
        var rng = SplitMix64(seed: 42)
        func u() -> Double { rng.uniform() }
        let models = ["a", "b", "c"]
        let layout = StackingFeatureLayout(models: models, classCount: 3, includesRegimes: true)
        var base: [Double] = [], labels: [Int] = [], fwd: [Double] = [], ts: [Int64] = [], exits: [Int64] = [], regimes: [(Double, Double)] = []
        for i in 0..<n {
            let y = Int(u() * 3)
            labels.append(y); fwd.append((Double(y) - 1) * 0.01 + (u() - 0.5) * 0.01)
            ts.append(Int64(i) * 86_400_000_000_000); exits.append(Int64(i + horizon) * 86_400_000_000_000)
            for m in 0..<3 {
                var p = (0..<3).map { c in u() + (c == y ? 0.3 + 0.2 * Double(m) : 0) }
                let s = p.reduce(0, +); p = p.map { $0 / s }
                base += p
            }
            regimes.append((Double(Int(u() * 3) - 1), Double(Int(u() * 3) - 1)))
        }
        var features = Matrix(rows: n, cols: layout.count)
        features.withUnsafeMutableStorage { out in
            base.withUnsafeBufferPointer { b in
                for i in 0..<n {
                    StackingFeatures.compute(probabilities: UnsafeBufferPointer(rebasing: b[(i * 9)..<((i + 1) * 9)]), modelCount: 3, classCount: 3,
                                             presentMask: 0b111, regimes: regimes[i],
                                             into: UnsafeMutableBufferPointer(rebasing: out[(i * layout.count)..<((i + 1) * layout.count)]))
                }
            }
        }
        return TrainingRows(horizon: horizon, models: models, classCount: 3, eventTimes: ts, exitTimes: exits,
                            symbolIDs: [Int](repeating: 0, count: n), symbols: ["S"], labels: labels, forwardReturns: fwd,
                            basePredictions: Matrix(rows: n, cols: 9, storage: base), features: features, layout: layout)
    }

    var tmp: String!
    override func setUp() {
        tmp = NSTemporaryDirectory() + "stackd-artifacts-\(UUID().uuidString)"
    }
    override func tearDown() {
        try? FileManager.default.removeItem(atPath: tmp)
    }

    /// Trained with the temperature-calibrated variants (so their format is exercised too).
    func outcome(_ candidates: [CandidateKind], metric: PromotionMetric = .logLoss) throws -> (TrainingRows, TrainingOutcome) {
        let rows = Self.syntheticRows()
        var configuration = TrainingConfiguration(metric: metric, candidates: candidates)
        configuration.calibrate = true
        let o = try MetaTrainer.train(rows: rows, horizon: 5, configuration: configuration)
        return (rows, o)
    }

    func assertSamePredictions(_ a: any MetaCombiner, _ b: any MetaCombiner, _ rows: TrainingRows, file: StaticString = #filePath, line: UInt = #line) {
        let pa = MetaTrainer.evaluate(a, on: rows), pb = MetaTrainer.evaluate(b, on: rows)
        XCTAssertEqual(pa.storage, pb.storage, "predictions differ after the round trip", file: file, line: line)
    }

    func testRoundTripGivesIdenticalPredictions() throws {
        for kind in [CandidateKind.logistic(.extended), .xgboost(.extendedRegime), .blend] {
            let (rows, o) = try outcome([kind])
            XCTAssertEqual(o.candidates.count, 2, "\(kind): the learner and its temperature-calibrated variant")
            for candidate in o.candidates {
                // Force the candidate to be served, whatever the decision, to exercise its format.
                var served = o
                served.chosen = candidate.combiner
                let files = try ArtifactWriter.write(served, to: tmp)
                XCTAssertEqual(files.count, 5)
                let loaded = try ArtifactLoader.load(root: tmp, horizon: 5, layout: rows.layout)
                XCTAssertEqual(loaded.combiner.method, served.chosen.method)
                XCTAssertEqual(loaded.combiner.version, 1)
                XCTAssertEqual(loaded.config.calibration?.temperature, (candidate.combiner as? CalibratedCombiner)?.calibration.temperature,
                               candidate.name)
                let learner = (candidate.combiner as? CalibratedCombiner)?.inner ?? candidate.combiner
                XCTAssertEqual(loaded.config.learnerHyperparameters, learner.fitSummary.hyperparameters, candidate.name)
                if let l = learner as? LogisticCombiner { XCTAssertEqual(loaded.config.hyperparameters.logisticC, l.model.C) }
                if let depth = learner.fitSummary.hyperparameters["depth"] {
                    XCTAssertEqual(Double(loaded.config.hyperparameters.treeDepth), depth)
                }
                assertSamePredictions(served.chosen, loaded.combiner, rows.subset(Array(0..<500)))
            }
        }
        let (rows, o) = try outcome([.logistic(.basic)])
        var avg = o
        avg.chosen = AveragingCombiner(modelCount: 3, classCount: 3)
        try ArtifactWriter.write(avg, to: tmp)
        assertSamePredictions(avg.chosen, try ArtifactLoader.load(root: tmp, horizon: 5, layout: rows.layout).combiner, rows.subset(Array(0..<200)))
    }

    func testTrainingIsDeterministic() throws {
        let (_, a) = try outcome([.logistic(.extended), .xgboost(.extended)])
        let (_, b) = try outcome([.logistic(.extended), .xgboost(.extended)])
        XCTAssertEqual(a.comparison, b.comparison)
        XCTAssertEqual(a.decision, b.decision)
        try ArtifactWriter.write(a, to: tmp + "/a")
        try ArtifactWriter.write(b, to: tmp + "/b")
        for f in [ArtifactSchema.model, ArtifactSchema.metaConfig, ArtifactSchema.trainingMetrics, ArtifactSchema.featureImportance] {
            XCTAssertEqual(FileManager.default.contents(atPath: "\(tmp!)/a/h5/\(f)"), FileManager.default.contents(atPath: "\(tmp!)/b/h5/\(f)"), f)
        }
    }

    /// Retraining on the same data gives the same candidate: a tie is not evidence, so the
    /// champion (the previous training's artifact, loaded back) is kept.
    func testChampionIsKeptOnATie() throws {
        let (rows, first) = try outcome([.logistic(.extended)])
        var served = first
        served.chosen = first.candidates[0].combiner
        try ArtifactWriter.write(served, to: tmp)
        let champion = Champion(name: "champion v1", combiner: try ArtifactLoader.load(root: tmp, horizon: 5, layout: rows.layout).combiner)
        // Without the calibrated variant: retraining must reproduce exactly the served candidate.
        var configuration = TrainingConfiguration(candidates: [.logistic(.extended)])
        configuration.calibrate = false
        let second = try MetaTrainer.train(rows: rows, horizon: 5, configuration: configuration, champion: champion)
        XCTAssertEqual(second.score("champion v1")?.role, .champion)
        if first.decision.chosen == .candidate {
            XCTAssertEqual(second.decision.chosen, .champion, second.decision.reason)
            XCTAssertTrue(second.decision.reason.contains("does not beat champion v1"), second.decision.reason)
        } else {
            XCTAssertEqual(second.decision.chosen, .champion, second.decision.reason)
        }
        XCTAssertTrue(second.chosen === champion.combiner)
    }

    func assertRefused(_ layout: StackingFeatureLayout, horizon: Int = 5, naming file: String, containing text: String,
                       line: UInt = #line) {
        XCTAssertThrowsError(try ArtifactLoader.load(root: tmp, horizon: horizon, layout: layout), line: line) { e in
            guard let e = e as? ArtifactError else { return XCTFail("not an ArtifactError: \(e)", line: line) }
            XCTAssertTrue(e.file.hasSuffix("h\(5)/\(file)"), "error names \(e.file)", line: line)
            XCTAssertTrue(e.description.contains(text), "'\(e.description)' lacks '\(text)'", line: line)
        }
    }

    func edit(_ file: String, _ body: (inout [String: Any]) -> Void) throws {
        let p = "\(tmp!)/h5/\(file)"
        var obj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: p))) as! [String: Any]
        body(&obj)
        try JSONSerialization.data(withJSONObject: obj).write(to: URL(fileURLWithPath: p))
    }

    func testCorruptOrMismatchedArtifactsAreRefused() throws {
        let (rows, o) = try outcome([.logistic(.extended)])
        var served = o
        served.chosen = o.candidates[0].combiner
        func fresh() throws { try? FileManager.default.removeItem(atPath: tmp); try ArtifactWriter.write(served, to: tmp) }

        try fresh()   // truncated model
        let mp = "\(tmp!)/h5/model.json"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: mp))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: mp))
        assertRefused(rows.layout, naming: "model.json", containing: "corrupt")

        try fresh()   // truncated config
        let cp = "\(tmp!)/h5/meta_config.json"
        try Data(contentsOf: URL(fileURLWithPath: cp)).prefix(40).write(to: URL(fileURLWithPath: cp))
        assertRefused(rows.layout, naming: "meta_config.json", containing: "corrupt")

        try fresh()   // wrong feature count in the config
        try edit("meta_config.json") { $0["feature_count"] = 34 }
        assertRefused(rows.layout, naming: "meta_config.json", containing: "feature count 34")

        try fresh()   // model with a different feature count than its config
        try edit("model.json") { $0["feature_count"] = 12 }
        assertRefused(rows.layout, naming: "model.json", containing: "does not match")

        try fresh()   // wrong horizon: the h5 directory asked for as something else
        try edit("meta_config.json") { $0["horizon"] = 10 }
        assertRefused(rows.layout, naming: "meta_config.json", containing: "horizon 10, expected 5")

        try fresh()   // unknown schema version
        try edit("meta_config.json") { $0["schema_version"] = 2 }
        assertRefused(rows.layout, naming: "meta_config.json", containing: "unknown schema version 2")

        try fresh()   // a daemon configured with other models
        assertRefused(StackingFeatureLayout(models: ["a", "b", "d"], classCount: 3, includesRegimes: true),
                      naming: "meta_config.json", containing: "models")
    }

    /// Writes sample artifacts for `tests/python/test_artifact_schemas.py` when
    /// `STACKD_ARTIFACT_SAMPLES` names a directory (the Python test sets it and runs this test).
    func testWriteSamplesForSchemaValidation() throws {
        guard let dir = ProcessInfo.processInfo.environment["STACKD_ARTIFACT_SAMPLES"] else {
            throw XCTSkip("set STACKD_ARTIFACT_SAMPLES to write sample artifacts")
        }
        let (_, lr) = try outcome([.logistic(.extended), .xgboost(.basic), .blend])
        func fitted(_ learner: String, calibrated: Bool = false) throws -> any FittedMetaLearner {
            try XCTUnwrap(lr.candidates.first { $0.kind.learner == learner && ($0.combiner is CalibratedCombiner) == calibrated }).combiner
        }
        var l = lr; l.chosen = try fitted("logistic")
        try ArtifactWriter.write(l, to: dir + "/logistic")
        try ArtifactWriter.writeSummary([l], to: dir + "/logistic", diversity: DiversityReference(meanDisagreement: 0.3))
        var x = lr; x.chosen = try fitted("xgboost")
        try ArtifactWriter.write(x, to: dir + "/xgboost")
        try ArtifactWriter.writeSummary([x], to: dir + "/xgboost")
        var b = lr; b.chosen = try fitted("blend")
        try ArtifactWriter.write(b, to: dir + "/blend")
        try ArtifactWriter.writeSummary([b], to: dir + "/blend")
        var t = lr; t.chosen = try fitted("logistic", calibrated: true)
        try ArtifactWriter.write(t, to: dir + "/calibrated")
        try ArtifactWriter.writeSummary([t], to: dir + "/calibrated")
        var a = lr; a.chosen = AveragingCombiner(modelCount: 3, classCount: 3)
        try ArtifactWriter.write(a, to: dir + "/average")
        try ArtifactWriter.writeSummary([a], to: dir + "/average")
        var p = lr
        p.chosen = PriorShrinkageCombiner(modelCount: 3, classCount: 3, averagingWeight: 0.25, prior: [0.25, 0.25, 0.5], version: 2)
        try ArtifactWriter.write(p, to: dir + "/prior")
        try ArtifactWriter.writeSummary([p], to: dir + "/prior")
    }
}
