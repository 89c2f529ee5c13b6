import StackdXGBoost
import XCTest

final class XGBoostInputValidationTests: XCTestCase {
    func testWrongFeatureCountAtPredictionIsRefused() throws {
        let fixture = try XGBoostFixture.load()
        let model = try XGBoostClassifier(modelData: fixture.modelJSON, expectedFeatureCount: 12, expectedClassCount: 3)
        XCTAssertThrowsError(try model.predictProbabilities(row: [Float](repeating: 0.5, count: 11))) { error in
            guard case .invalidInput = error as? XGBoostError else { return XCTFail("unexpected \(error)") }
        }
        let narrow = try XGBoostDMatrix(features: [Float](repeating: 0, count: 20), rows: 2, cols: 10)
        XCTAssertThrowsError(try model.predictProbabilities(narrow))
        XCTAssertThrowsError(try model.predictProbabilities(features: [Float](repeating: 0, count: 13), rows: 1))
    }

    func testMatrixShapeAndLabelsAreChecked() {
        XCTAssertThrowsError(try XGBoostDMatrix(features: [1, 2, 3] as [Float], rows: 2, cols: 2))
        XCTAssertThrowsError(try XGBoostDMatrix(features: [1, 2, 3, 4] as [Float], rows: 2, cols: 2, labels: [0]))
        XCTAssertThrowsError(try XGBoostDMatrix(features: [] as [Float], rows: 0, cols: 2))
        XCTAssertThrowsError(
            try XGBoostClassifier.train(
                features: [Float](repeating: 0, count: 8), rows: 4, cols: 2, labels: [0, 1, 2, 3] as [Float],
                parameters: XGBoostParameters(numClass: 3))
        ) { error in
            guard case .invalidInput = error as? XGBoostError else { return XCTFail("unexpected \(error)") }
        }
    }

    /// XGBoost's own failures surface as `.library` with the failing call and its message.
    func testLibraryErrorsCarryCallAndMessage() {
        var parameters = XGBoostParameters(numClass: 2, nEstimators: 1)
        parameters.extra = ["max_depth": "not-a-number"]
        XCTAssertThrowsError(
            try XGBoostClassifier.train(
                features: [0, 1, 2, 3] as [Float], rows: 4, cols: 1, labels: [0, 1, 0, 1], parameters: parameters)
        ) { error in
            guard case let .library(call, message) = error as? XGBoostError else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertTrue(call.hasPrefix("XGBooster"), call)
            XCTAssertFalse(message.isEmpty)
        }
    }

    func testDoubleInputsAreEquivalentToFloat() throws {
        let fixture = try XGBoostFixture.load()
        let model = try XGBoostClassifier(modelData: fixture.modelJSON, expectedFeatureCount: 12, expectedClassCount: 3)
        let row = fixture.holdoutRow(3)
        XCTAssertEqual(try model.predictProbabilities(row: row.map(Double.init)), try model.predictProbabilities(row: row))
        XCTAssertEqual(
            try model.predictProbabilities(features: row.map(Double.init), rows: 1),
            try model.predictProbabilities(features: row, rows: 1))
    }

    func testParametersAreCodableAndMapToXGBoostNames() throws {
        let parameters = XGBoostParameters(learningRate: 0.1, subsample: 0.8, extra: ["max_bin": "256"])
        let decoded = try JSONDecoder().decode(XGBoostParameters.self, from: JSONEncoder().encode(parameters))
        XCTAssertEqual(decoded, parameters)
        let pairs = Dictionary(uniqueKeysWithValues: parameters.keyValuePairs.map { ($0.key, $0.value) })
        XCTAssertEqual(pairs["eta"], "0.1")
        XCTAssertEqual(pairs["subsample"], "0.8")
        XCTAssertEqual(pairs["objective"], "multi:softprob")
        XCTAssertEqual(pairs["nthread"], "1")
        XCTAssertEqual(pairs["max_bin"], "256")
    }
}
