import StackdXGBoost
import XCTest

/// Checks the Swift wrapper against the independent truth: Python xgboost 1.7.4 on the same data.
final class XGBoostPythonParityTests: XCTestCase {
    private static let tolerance = 1e-6

    func testLinkedLibraryIsTheFixtureVersion() throws {
        let fixture = try XGBoostFixture.load()
        XCTAssertEqual(XGBoostVersion.linked.description, fixture.meta.xgboost_version)
    }

    func testTrainingInSwiftMatchesPythonPredictions() throws {
        let fixture = try XGBoostFixture.load()
        let model = try XGBoostClassifier.train(
            features: fixture.trainFeatures, rows: fixture.trainRows, cols: fixture.cols,
            labels: fixture.trainLabels, parameters: fixture.parameters)
        XCTAssertEqual(model.numFeatures, fixture.cols)
        XCTAssertEqual(model.numClass, fixture.meta.num_class)
        XCTAssertEqual(try model.numBoostedRounds, fixture.meta.rounds)

        let predictions = try model.predictProbabilities(features: fixture.holdoutFeatures, rows: fixture.holdoutRows)
        let difference = maxAbsoluteDifference(predictions, fixture.holdoutPredictions)
        print("StackdXGBoost parity: max |swift-trained - python| = \(difference)")
        XCTAssertLessThanOrEqual(difference, Self.tolerance)
    }

    func testLoadingPythonModelGivesPythonPredictions() throws {
        let fixture = try XGBoostFixture.load()
        let model = try XGBoostClassifier(
            modelData: fixture.modelJSON, expectedFeatureCount: fixture.cols, expectedClassCount: 3)
        XCTAssertEqual(try model.numBoostedRounds, fixture.meta.rounds)
        let predictions = try model.predictProbabilities(features: fixture.holdoutFeatures, rows: fixture.holdoutRows)
        let difference = maxAbsoluteDifference(predictions, fixture.holdoutPredictions)
        print("StackdXGBoost parity: max |python-model loaded in swift - python| = \(difference)")
        XCTAssertLessThanOrEqual(difference, Self.tolerance)
    }

    func testSingleRowPathMatchesBatchAndPython() throws {
        let fixture = try XGBoostFixture.load()
        let model = try XGBoostClassifier(
            modelData: fixture.modelJSON, expectedFeatureCount: fixture.cols, expectedClassCount: 3)
        let batch = try model.predictProbabilities(features: fixture.holdoutFeatures, rows: fixture.holdoutRows)
        var single: [Double] = []
        for index in 0..<fixture.holdoutRows {
            single += try model.predictProbabilities(row: fixture.holdoutRow(index))
        }
        XCTAssertEqual(single, batch, "in-place single-row prediction must equal DMatrix prediction exactly")
        XCTAssertLessThanOrEqual(maxAbsoluteDifference(single, fixture.holdoutPredictions), Self.tolerance)
    }

    func testFeatureImportanceMatchesPython() throws {
        let fixture = try XGBoostFixture.load()
        let model = try XGBoostClassifier.train(
            features: fixture.trainFeatures, rows: fixture.trainRows, cols: fixture.cols,
            labels: fixture.trainLabels, parameters: fixture.parameters)
        let gain = try model.featureImportance(type: .gain)
        XCTAssertEqual(Set(gain.keys), Set(fixture.importanceGain.keys))
        for (feature, expected) in fixture.importanceGain {
            let actual = try XCTUnwrap(gain[feature])
            XCTAssertLessThanOrEqual(abs(actual - expected) / abs(expected), Self.tolerance, "gain of \(feature)")
        }
        // Split counts are integers: any difference would mean different trees.
        XCTAssertEqual(try model.featureImportance(type: .weight), fixture.importanceWeight)
    }

    /// NaN must mean "missing" (default branch), as in Python with `missing=np.nan`, not a value.
    func testNaNFeaturesAreTreatedAsMissing() throws {
        let fixture = try XGBoostFixture.load()
        XCTAssertGreaterThan(fixture.meta.holdout_rows_with_missing, 0, "fixture must exercise missing values")
        let model = try XGBoostClassifier(
            modelData: fixture.modelJSON, expectedFeatureCount: fixture.cols, expectedClassCount: 3)
        var checked = 0
        for index in 0..<fixture.holdoutRows where fixture.holdoutRow(index).contains(where: \.isNaN) {
            let expected = Array(fixture.holdoutPredictions[(index * 3)..<(index * 3 + 3)])
            let row = try model.predictProbabilities(row: fixture.holdoutRow(index))
            XCTAssertLessThanOrEqual(maxAbsoluteDifference(row, expected), Self.tolerance, "holdout row \(index)")
            let batch = try model.predictProbabilities(features: fixture.holdoutRow(index), rows: 1)
            XCTAssertEqual(batch, row)
            checked += 1
        }
        XCTAssertEqual(checked, fixture.meta.holdout_rows_with_missing)
    }
}
