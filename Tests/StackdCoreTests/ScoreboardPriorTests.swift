import XCTest
@testable import StackdCore

/// The class prior and always-majority as live predictors: each row's forecast uses only the
/// labels matched before the row was emitted.
final class ScoreboardPriorTests: XCTestCase {
    func testPriorAndMajorityUseOnlyLabelsKnownAtEmission() {
        let board = PrequentialScoreboard(modelCount: 1, classCount: 3, featureCount: 1, capacity: 8, horizonCount: 2)
        let p = [0.2, 0.3, 0.5], feature = [7.0]
        func key(_ t: Int64, _ h: Int = 0) -> RowKey { RowKey(symbol: 0, horizonIndex: h, eventTime: t) }
        func remember(_ t: Int64, _ h: Int = 0) {
            p.withUnsafeBufferPointer { b in feature.withUnsafeBufferPointer { f in
                board.remember(key: key(t, h), base: b, ensemble: b, average: b, features: f)
            } }
        }
        // r1, r2 emitted before any label: both uniform, majority class 0.
        remember(1); remember(2)
        XCTAssertTrue(board.score(key: key(1), label: 2))
        // r3 emitted after one label (class 2): prior (1, 1, 2)/4, majority 2.
        remember(3)
        // r2's label arrives after r3 was emitted: it must not change r3's forecast.
        XCTAssertTrue(board.score(key: key(2), label: 1))
        XCTAssertTrue(board.score(key: key(3), label: 2) { row in
            XCTAssertEqual(Array(row.features), [7], "the prior is stored after the features, not over them")
        })
        // A label of another horizon does not count here.
        remember(4, 1)
        XCTAssertTrue(board.score(key: key(4, 1), label: 0))

        let prior = board.classPrior[0], majority = board.alwaysMajority[0]
        XCTAssertEqual(prior.count, 3)
        // −ln(1/3) (r1, label 2), −ln(1/3) (r2, label 1), −ln(2/4) (r3, label 2).
        XCTAssertEqual(prior.logLoss, (2 * log(3.0) + log(2.0)) / 3, accuracy: 1e-12)
        // Majority: r1 → 0 (miss), r2 → 0 (miss), r3 → 2 (hit).
        XCTAssertEqual(majority.accuracy, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(majority.logLoss, (-2 * log(1e-15) + 0) / 3, accuracy: 1e-9)
        // Horizon 1: its only row was emitted before any label there: uniform.
        XCTAssertEqual(board.classPrior[1].logLoss, log(3.0), accuracy: 1e-12)
    }
}
