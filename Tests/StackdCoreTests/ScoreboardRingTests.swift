import XCTest
@testable import StackdCore

/// The awaiting-label ring grows on first use; once full it must behave exactly as the fixed
/// ring did: oldest unlabelled row dropped (counted), slots reused, values of the current row.
final class ScoreboardRingTests: XCTestCase {
    func testRingGrowsThenWrapsDroppingOldestUnlabelled() {
        let m = 2, k = 3, f = 2
        var board = PrequentialScoreboard(modelCount: m, classCount: k, featureCount: f, capacity: 3, horizonCount: 1)
        func key(_ t: Int64) -> RowKey { RowKey(symbol: 0, horizonIndex: 0, eventTime: t) }
        func remember(_ t: Int64) {
            let base = (0..<(m * k)).map { Double(t) + Double($0) / 10 }
            let e = [Double(t), 0, 1], a = [0, Double(t), 1], feats = [Double(t) * 2, -Double(t)]
            base.withUnsafeBufferPointer { b in e.withUnsafeBufferPointer { e in a.withUnsafeBufferPointer { a in
                feats.withUnsafeBufferPointer { fs in
                    board.remember(key: key(t), base: b, ensemble: e, average: a, features: fs, modelVersion: UInt32(t), presentMask: UInt64(t))
                } } } }
        }
        for t: Int64 in 1...2 { remember(t) }
        XCTAssertEqual(board.awaitingCount, 2)
        XCTAssertTrue(board.score(key: key(1), label: 0))       // labelled before its slot is reused
        for t: Int64 in 3...6 { remember(t) }                          // slots reused: 2 and 3 dropped unlabelled
        XCTAssertEqual(board.droppedUnlabelled, 2)
        XCTAssertEqual(board.awaitingCount, 3)
        XCTAssertFalse(board.score(key: key(2), label: 0))
        XCTAssertFalse(board.score(key: key(3), label: 0))
        for t: Int64 in [4, 5, 6] {
            var seen = false
            XCTAssertTrue(board.score(key: key(t), label: 2) { row in
                seen = true
                XCTAssertEqual(Array(row.basePredictions), (0..<(m * k)).map { Double(t) + Double($0) / 10 })
                XCTAssertEqual(Array(row.ensemble), [Double(t), 0, 1])
                XCTAssertEqual(Array(row.features), [Double(t) * 2, -Double(t)])
                XCTAssertEqual(row.modelVersion, UInt32(t))
                XCTAssertEqual(row.presentMask, UInt64(t))
            })
            XCTAssertTrue(seen)
        }
        XCTAssertEqual(board.awaitingCount, 0)
    }

    func testZeroCapacityKeepsNothing() {
        var board = PrequentialScoreboard(modelCount: 1, classCount: 2, capacity: 0, horizonCount: 1)
        let p = [0.5, 0.5]
        p.withUnsafeBufferPointer { b in board.remember(key: RowKey(symbol: 0, horizonIndex: 0, eventTime: 1), base: b, ensemble: b, average: b) }
        XCTAssertEqual(board.awaitingCount, 0)
        XCTAssertFalse(board.score(key: RowKey(symbol: 0, horizonIndex: 0, eventTime: 1), label: 0))
    }
}
