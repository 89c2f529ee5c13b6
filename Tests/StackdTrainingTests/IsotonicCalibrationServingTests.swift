import Foundation
import StackdCore
import StackdLearning
import XCTest
@testable import StackdTraining

/// `learner.calibration = "isotonic"` (`TrainingConfiguration.isotonicCalibration`): each learner
/// is also tried with per-class isotonic maps fitted on the validation rows; the gate judges the
/// calibrated candidate cross-fitted; the served output is the maps applied to the learner's; the
/// artifact records the maps and reloads them. The maps themselves are `IsotonicCalibrator`,
/// checked against scikit-learn in `CalibrationTests` (`scripts/fixtures/calibration/`).
final class IsotonicCalibrationServingTests: XCTestCase {
    func trained() throws -> (TrainingRows, TrainingOutcome) {
        let rows = ArtifactTests.syntheticRows(n: 2_000)
        var config = TrainingConfiguration(candidates: [.logistic(.basic)],
                                           regularisation: .fixed(LearnerHyperparameters(logisticC: 0.3, treeDepth: 2, treeEstimators: 20)),
                                           applyEnsembleMethodRule: false)
        config.isotonicCalibration = true
        return (rows, try MetaTrainer.train(rows: rows, horizon: 5, configuration: config))
    }

    func testTheGateJudgesTheCrossFittedMapsAndServesTheMapsOfAllValidationRows() throws {
        let (rows, outcome) = try trained()
        let base = try XCTUnwrap(outcome.candidates.first { !($0.combiner is IsotonicCalibratedCombiner) })
        let calibrated = try XCTUnwrap(outcome.candidates.first { $0.combiner is IsotonicCalibratedCombiner })
        XCTAssertEqual(calibrated.name, base.name + " + isotonic")
        let served = try XCTUnwrap(calibrated.combiner as? IsotonicCalibratedCombiner)

        // Independently: the learner's validation probabilities, maps fitted on each half applied to the other.
        let split = ChronologicalSplit(timestamps: rows.eventTimes, exitTimestamps: rows.exitTimes, trainFraction: 0.8)
        let valid = rows.subset(split.test)
        let P = try base.combiner.predictProbabilities(features: valid.features)
        let half = valid.count / 2
        let first = Array(0..<half), second = Array(half..<valid.count)
        let a = try IsotonicCalibrator(fitting: P.selectingRows(first), labels: first.map { valid.labels[$0] })
        let b = try IsotonicCalibrator(fitting: P.selectingRows(second), labels: second.map { valid.labels[$0] })
        var losses = 0.0
        for i in 0..<valid.count {
            let q = (i < half ? b : a).apply(P.row(i))
            losses -= log(max(q[valid.labels[i]], 1e-15))
        }
        let judged = try XCTUnwrap(outcome.score(calibrated.name))
        XCTAssertEqual(judged.validation.logLoss, losses / Double(valid.count), accuracy: 1e-9)
        // Served: maps fitted on every validation row.
        XCTAssertEqual(served.calibrator, try IsotonicCalibrator(fitting: P, labels: valid.labels))

        // The live kernel: the learner's output through the maps, renormalised.
        let inner = try served.inner.predictProbabilities(features: valid.features)
        var out = [Double](repeating: 0, count: 3)
        for i in [0, 5, valid.count - 1] {
            let f = valid.features.row(i), bp = valid.basePredictions.row(i)
            bp.withUnsafeBufferPointer { bb in f.withUnsafeBufferPointer { ff in out.withUnsafeMutableBufferPointer { o in
                served.combine(basePredictions: bb, features: ff, presentMask: 0b111, into: o)
            } } }
            let expected = served.calibrator.apply(inner.row(i))
            for c in 0..<3 { XCTAssertEqual(out[c], expected[c], accuracy: 1e-15) }
            XCTAssertEqual(out.reduce(0, +), 1, accuracy: 1e-12)
        }
    }

    func testTheArtifactRecordsTheMapsAndReloadsThem() throws {
        let (rows, trainedOutcome) = try trained()
        var outcome = trainedOutcome
        outcome.chosen = try XCTUnwrap(outcome.candidates.first { $0.combiner is IsotonicCalibratedCombiner }).combiner
        let dir = NSTemporaryDirectory() + "stackd-isotonic-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ArtifactWriter.write(outcome, to: dir)
        let loaded = try ArtifactLoader.load(root: dir, horizon: 5, layout: rows.layout)
        XCTAssertEqual(loaded.config.calibration?.method, "isotonic")
        XCTAssertEqual(loaded.config.calibration?.classMaps?.count, 3)
        let reloaded = try XCTUnwrap(loaded.combiner as? IsotonicCalibratedCombiner)
        XCTAssertEqual(reloaded.calibrator, (outcome.chosen as! IsotonicCalibratedCombiner).calibrator)
        let sample = rows.subset(Array(0..<100))
        XCTAssertEqual(try reloaded.predictProbabilities(features: sample.features),
                       try (outcome.chosen as! any FittedMetaLearner).predictProbabilities(features: sample.features))

        // Maps that are not increasing, or a missing class, are refused with the file named.
        let path = dir + "/h5/meta_config.json"
        let original = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        var calibration = try XCTUnwrap(original["calibration"] as? [String: Any])
        let maps = try XCTUnwrap(calibration["class_maps"] as? [[String: Any]])
        for broken in [Array(maps.prefix(2)), [["x_thresholds": [0.5, 0.2], "y_thresholds": [0.1, 0.2]], maps[1], maps[2]]] {
            calibration["class_maps"] = broken
            var bad = original
            bad["calibration"] = calibration
            try JSONSerialization.data(withJSONObject: bad).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try ArtifactLoader.load(root: dir, horizon: 5, layout: rows.layout)) { error in
                XCTAssertTrue("\(error)".contains("isotonic calibration"), "\(error)")
            }
        }
    }

    /// Named like the other sample writers so `tests/python/test_artifact_schemas.py` validates
    /// `isotonic/h5/meta_config.json` (with `calibration.class_maps`).
    func testWriteSamplesForSchemaValidation() throws {
        guard let dir = ProcessInfo.processInfo.environment["STACKD_ARTIFACT_SAMPLES"] else {
            throw XCTSkip("set STACKD_ARTIFACT_SAMPLES to write sample artifacts")
        }
        var (_, outcome) = try trained()
        outcome.chosen = try XCTUnwrap(outcome.candidates.first { $0.combiner is IsotonicCalibratedCombiner }).combiner
        try ArtifactWriter.write(outcome, to: dir + "/isotonic")
        try ArtifactWriter.writeSummary([outcome], to: dir + "/isotonic")
    }
}
