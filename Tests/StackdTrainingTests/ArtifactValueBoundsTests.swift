import Foundation
import StackdCore
import StackdLearning
@testable import StackdTraining
import XCTest

/// Artifact numbers a model would compute with must be finite (and, for the linear models,
/// plausible): an XGBoost tree with a `1e999` threshold is refused with a clear reason instead
/// of being handed to libxgboost, which would read it as infinity.
final class ArtifactValueBoundsTests: XCTestCase {
    var tmp: String!
    override func setUp() { tmp = NSTemporaryDirectory() + "stackd-bounds-\(UUID().uuidString)" }
    override func tearDown() { try? FileManager.default.removeItem(atPath: tmp) }

    func testXGBoostModelWithANonFiniteNumberIsRefused() throws {
        let rows = ArtifactTests.syntheticRows()
        let o = try MetaTrainer.train(rows: rows, horizon: 5, configuration: TrainingConfiguration(metric: .logLoss,
                                                                                                   candidates: [.xgboost(.basic)]))
        var served = o
        served.chosen = o.candidates[0].combiner
        try ArtifactWriter.write(served, to: tmp)
        XCTAssertNoThrow(try ArtifactLoader.load(root: tmp, horizon: 5, layout: rows.layout), "the written model loads")

        let path = "\(tmp!)/h5/model.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let key = try XCTUnwrap(text.range(of: "\"split_conditions\""))
        let number = try XCTUnwrap(text.range(of: #"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?"#, options: .regularExpression,
                                              range: key.upperBound..<text.endIndex))
        try text.replacingCharacters(in: number, with: "1e999").write(toFile: path, atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try ArtifactLoader.load(root: tmp, horizon: 5, layout: rows.layout)) { error in
            let e = error as? ArtifactError
            XCTAssertEqual(e?.reason, .values, "\(error)")
            XCTAssertEqual(e?.file, path)
            XCTAssertTrue(e?.message.contains("number 1e999 is not finite") ?? false, "\(error)")
        }
    }

    func testOverflowScannerIgnoresStringsAndFiniteNumbers() {
        XCTAssertNil(ArtifactCoding.firstOverflowingNumber(Array(#"{"a": "1e999", "b": [1.5e308, -2E-400, 0]}"#.utf8)))
        XCTAssertEqual(ArtifactCoding.firstOverflowingNumber(Array(#"{"a": "x\"1e999", "b": [0.5, -1E+309]}"#.utf8)), "-1E+309")
    }
}
