import Foundation
import StackdCore
import StackdLearning
import XCTest
@testable import StackdTraining

/// `hN/diversity_analysis.json`: computed on the trainer's validation rows, seeded by meta-train
/// log-loss, written beside the other artifacts, and (with STACKD_ARTIFACT_SAMPLES) written as a
/// sample for `tests/python/test_artifact_schemas.py` to validate against its schema.
final class DiversityArtifactTests: XCTestCase {
    /// Synthetic rows: model m puts a bonus 0.3 + 0.2·m on the true class, so c (m = 2) is the
    /// most accurate and seeds the selection; the analysis covers exactly the validation rows.
    func testDiversityIsOnTheValidationRowsAndSeededByTheBestMetaTrainModel() throws {
        let rows = ArtifactTests.syntheticRows(n: 1_000)
        let doc = try XCTUnwrap(DiversityAnalysisDocument.make(rows: rows, trainFraction: 0.8))
        let split = ChronologicalSplit(timestamps: rows.eventTimes, exitTimestamps: rows.exitTimes, trainFraction: 0.8)
        XCTAssertEqual(doc.validationRows, split.test.count)
        XCTAssertEqual(doc.seedRows, split.train.count)
        XCTAssertEqual(doc.analysis.rows, split.test.count)
        XCTAssertEqual(doc.analysis.models, ["a", "b", "c"])
        XCTAssertEqual(doc.analysis.pairs.map(\.pair), ["a-b", "a-c", "b-c", "mean"])
        let selection = try XCTUnwrap(doc.analysis.selection)
        XCTAssertEqual(selection.selected.first, "c")
        XCTAssertFalse(doc.selectionApplied)
        // Error rates by hand on the validation rows: argmax of each model's block vs the label.
        let valid = rows.subset(split.test)
        for m in 0..<3 {
            var wrong = 0
            for r in 0..<valid.count {
                let p = (0..<3).map { valid.basePredictions[r, 3 * m + $0] }
                if p.firstIndex(of: p.max()!)! != valid.labels[r] { wrong += 1 }
            }
            XCTAssertEqual(doc.analysis.errorRates[m], Double(wrong) / Double(valid.count), accuracy: 1e-15)
        }
        XCTAssertLessThan(doc.analysis.errorRates[2], doc.analysis.errorRates[0])
        XCTAssertTrue(doc.summaryLine.hasPrefix("h5 diversity: composite "), doc.summaryLine)
        XCTAssertNil(DiversityAnalysisDocument.make(rows: rows.subset([0]), trainFraction: 0.8))
    }

    func testTheWriterPutsItBesideTheOtherArtifacts() throws {
        let rows = ArtifactTests.syntheticRows(n: 1_000)
        var outcome = try MetaTrainer.train(rows: rows, horizon: 5, configuration: TrainingConfiguration(candidates: [.logistic(.basic)]))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("diversity-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let without = try ArtifactWriter.write(outcome, to: dir + "/without")
        XCTAssertFalse(without.contains { $0.hasSuffix(ArtifactSchema.diversityAnalysis) })
        outcome.diversity = DiversityAnalysisDocument.make(rows: rows, trainFraction: 0.8)
        let written = try ArtifactWriter.write(outcome, to: dir)
        let path = try XCTUnwrap(written.first { $0.hasSuffix("h5/" + ArtifactSchema.diversityAnalysis) })
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(bytes, try ArtifactCoding.encode(try XCTUnwrap(outcome.diversity)))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        XCTAssertEqual(json["schema_version"] as? Int, 1)
        XCTAssertEqual(json["selection_applied"] as? Bool, false)
    }

    /// Named like `ArtifactTests.testWriteSamplesForSchemaValidation` so the Python schema test's
    /// filter runs both: writes `diversity/h5/diversity_analysis.json` under the sample directory.
    func testWriteSamplesForSchemaValidation() throws {
        guard let dir = ProcessInfo.processInfo.environment["STACKD_ARTIFACT_SAMPLES"] else {
            throw XCTSkip("set STACKD_ARTIFACT_SAMPLES to write sample artifacts")
        }
        let rows = ArtifactTests.syntheticRows(n: 1_000)
        var outcome = try MetaTrainer.train(rows: rows, horizon: 5, configuration: TrainingConfiguration(candidates: [.logistic(.basic)]))
        outcome.diversity = DiversityAnalysisDocument.make(rows: rows, trainFraction: 0.8)
        try ArtifactWriter.write(outcome, to: dir + "/diversity")
        try ArtifactWriter.writeSummary([outcome], to: dir + "/diversity")
    }
}
