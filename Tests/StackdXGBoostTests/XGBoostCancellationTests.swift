import StackdXGBoost
import XCTest

/// Training checks `shouldStop` before every boosting round: a stopping daemon does not wait for
/// the remaining rounds.
final class XGBoostCancellationTests: XCTestCase {
    let features: [Float] = (0..<60).map { Float($0 % 7) }
    let labels: [Float] = (0..<30).map { Float($0 % 3) }

    func testStopBeforeTheThirdRoundEndsTrainingWithAnError() {
        var checks = 0
        XCTAssertThrowsError(try XGBoostClassifier.train(
            features: features, rows: 30, cols: 2, labels: labels, parameters: XGBoostParameters(nEstimators: 10),
            shouldStop: { checks += 1; return checks > 2 })) { error in
            XCTAssertEqual("\(error)".contains("training cancelled after 2 rounds"), true, "\(error)")
        }
        XCTAssertEqual(checks, 3)
    }

    func testWithoutStopEveryRoundIsTrained() throws {
        var checks = 0
        let model = try XGBoostClassifier.train(features: features, rows: 30, cols: 2, labels: labels,
                                                parameters: XGBoostParameters(nEstimators: 4), shouldStop: { checks += 1; return false })
        XCTAssertEqual(checks, 4)
        XCTAssertEqual(try model.numBoostedRounds, 4)
    }
}
