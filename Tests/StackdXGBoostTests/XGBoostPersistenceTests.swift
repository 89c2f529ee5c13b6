import Foundation
import StackdXGBoost
import XCTest

final class XGBoostPersistenceTests: XCTestCase {
    private func trainedModel(_ fixture: XGBoostFixture, rounds: Int = 10) throws -> XGBoostClassifier {
        var parameters = fixture.parameters
        parameters.nEstimators = rounds
        return try XGBoostClassifier.train(
            features: fixture.trainFeatures, rows: fixture.trainRows, cols: fixture.cols,
            labels: fixture.trainLabels, parameters: parameters)
    }

    func testSaveLoadRoundTripIsIdentical() throws {
        let fixture = try XGBoostFixture.load()
        let model = try trainedModel(fixture)
        let original = try model.predictProbabilities(features: fixture.holdoutFeatures, rows: fixture.holdoutRows)
        for format in XGBoostModelFormat.allCases {
            let bytes = try model.modelData(format: format)
            let loaded = try XGBoostClassifier(modelData: bytes, expectedFeatureCount: fixture.cols, expectedClassCount: 3)
            XCTAssertEqual(try loaded.numBoostedRounds, 10, "\(format)")
            XCTAssertEqual(
                try loaded.predictProbabilities(features: fixture.holdoutFeatures, rows: fixture.holdoutRows),
                original, "\(format)")
            XCTAssertEqual(try loaded.modelData(format: format), bytes, "re-saving \(format) is byte-identical")
            XCTAssertEqual(try loaded.featureImportance(type: .totalGain), try model.featureImportance(type: .totalGain))
        }
    }

    func testFileRoundTrip() throws {
        let fixture = try XGBoostFixture.load()
        let model = try trainedModel(fixture)
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("stackd-xgb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for format in XGBoostModelFormat.allCases {
            let path = directory.appendingPathComponent("model.\(format.rawValue)").path
            try model.save(toFile: path, format: format)
            let loaded = try XGBoostClassifier(contentsOfFile: path, expectedFeatureCount: fixture.cols, expectedClassCount: 3)
            XCTAssertEqual(
                try loaded.predictProbabilities(row: fixture.holdoutRow(0)),
                try model.predictProbabilities(row: fixture.holdoutRow(0)))
        }
        XCTAssertThrowsError(
            try XGBoostClassifier(
                contentsOfFile: directory.appendingPathComponent("absent.json").path,
                expectedFeatureCount: fixture.cols, expectedClassCount: 3)
        ) { error in
            guard case .io = error as? XGBoostError else { return XCTFail("unexpected \(error)") }
        }
    }

    func testCorruptedModelBufferIsRefused() throws {
        let fixture = try XGBoostFixture.load()
        let corruptions: [(String, [UInt8])] = [
            ("truncated JSON", Array(fixture.modelJSON.prefix(fixture.modelJSON.count / 2))),
            ("not a model", Array("{\"hello\": \"world\"}".utf8)),
            ("garbage", (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }),
            ("brace then garbage", [UInt8(ascii: "{")] + (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }),
            ("truncated UBJ", try Array(trainedModel(fixture, rounds: 2).modelData(format: .ubj).dropLast(40))),
            ("empty", []),
        ]
        for (name, bytes) in corruptions {
            XCTAssertThrowsError(
                try XGBoostClassifier(modelData: bytes, expectedFeatureCount: fixture.cols, expectedClassCount: 3),
                name
            ) { error in
                let description = String(describing: error)
                XCTAssertFalse(description.isEmpty)
                print("StackdXGBoost refused \(name): \(description.prefix(200))")
            }
        }
    }

    /// A valid XGBoost model whose output is not a probability vector must not be accepted.
    func testModelWithOtherObjectiveIsRefused() throws {
        let fixture = try XGBoostFixture.load()
        let text = String(decoding: fixture.modelJSON, as: UTF8.self)
        XCTAssertTrue(text.contains("\"multi:softprob\""))
        let softmax = Array(text.replacingOccurrences(of: "\"multi:softprob\"", with: "\"multi:softmax\"").utf8)
        XCTAssertThrowsError(
            try XGBoostClassifier(modelData: softmax, expectedFeatureCount: 12, expectedClassCount: 3)
        ) { error in
            guard case let .modelMismatch(message) = error as? XGBoostError else { return XCTFail("unexpected \(error)") }
            XCTAssertTrue(message.contains("multi:softmax"), message)
        }
    }

    func testModelWithWrongShapeIsRefused() throws {
        let fixture = try XGBoostFixture.load()
        XCTAssertThrowsError(
            try XGBoostClassifier(modelData: fixture.modelJSON, expectedFeatureCount: 9, expectedClassCount: 3)
        ) { error in
            XCTAssertEqual(error as? XGBoostError, .modelMismatch("model has 12 features, expected 9"))
        }
        XCTAssertThrowsError(
            try XGBoostClassifier(modelData: fixture.modelJSON, expectedFeatureCount: 12, expectedClassCount: 4)
        ) { error in
            XCTAssertEqual(error as? XGBoostError, .modelMismatch("model has 3 classes, expected 4"))
        }
    }
}
