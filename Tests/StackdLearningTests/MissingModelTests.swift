import XCTest
@testable import StackdLearning

/// A model that misses events: the oos-daily loader keeps the event, imputes the missing vector
/// exactly as the live assembler does (the mean of the present models' vectors) and records who
/// was present.
final class MissingModelTests: XCTestCase {
    // Three models; on 2020-01-03 model "b" is missing.
    let preds = """
    timestamp,symbol,horizon,model,p_short,p_neutral,p_long
    2020-01-02,SPX,5,a,0.2,0.3,0.5
    2020-01-02,SPX,5,b,0.6,0.2,0.2
    2020-01-02,SPX,5,c,0.1,0.1,0.8
    2020-01-03,SPX,5,a,0.5,0.3,0.2
    2020-01-03,SPX,5,c,0.1,0.5,0.4
    """
    let labels = """
    timestamp,symbol,horizon,label,fwd_return,exit_timestamp
    2020-01-02,SPX,5,1,0.01,2020-01-09
    2020-01-03,SPX,5,0,0.0,2020-01-10
    """

    func testMissingModelIsImputedWithTheMeanOfThePresentOnes() throws {
        let ds = try OOSDailyDataset(horizon: 5, predictions: preds, labels: labels)
        XCTAssertEqual(ds.models, ["a", "b", "c"])
        XCTAssertEqual(ds.events.count, 2)
        XCTAssertEqual(ds.events[0].presentMask, 0b111)
        XCTAssertEqual(ds.events[1].presentMask, 0b101)
        XCTAssertEqual(ds.incompleteEvents, 1)
        XCTAssertTrue(ds.isPresent(event: 1, model: 0))
        XCTAssertFalse(ds.isPresent(event: 1, model: 1))
        // b on 2020-01-03 = mean of a and c = [(0.5+0.1)/2, (0.3+0.5)/2, (0.2+0.4)/2] = [0.3, 0.4, 0.3].
        let p = ds.events[1].probabilities
        XCTAssertEqual(p[0..<3].map { $0 }, [0.5, 0.3, 0.2])
        XCTAssertEqual(p[3], 0.3, accuracy: 1e-15)
        XCTAssertEqual(p[4], 0.4, accuracy: 1e-15)
        XCTAssertEqual(p[5], 0.3, accuracy: 1e-15)
        XCTAssertEqual(p[6..<9].map { $0 }, [0.1, 0.5, 0.4])
        // Averaging is unchanged by the imputation: the mean of the two present models.
        let avg = ds.averageProbabilities().row(1)
        for (got, want) in zip(avg, [0.3, 0.4, 0.3]) { XCTAssertEqual(got, want, accuracy: 1e-15) }
    }

    func testMalformedRowsAreStillRefusedWithFileAndLine() {
        let bad = preds.replacingOccurrences(of: "2020-01-03,SPX,5,c,0.1,0.5,0.4", with: "2020-01-03,SPX,5,c,0.1,0.5")
        XCTAssertThrowsError(try OOSDailyDataset(horizon: 5, predictions: bad, labels: labels)) { error in
            XCTAssertEqual((error as? OOSDailyParseError).map { "\($0.file):\($0.line)" }, "preds_h5.csv:6")
        }
        let badSum = preds.replacingOccurrences(of: "0.1,0.1,0.8", with: "0.1,0.1,0.9")
        XCTAssertThrowsError(try OOSDailyDataset(horizon: 5, predictions: badSum, labels: labels)) { error in
            XCTAssertEqual((error as? OOSDailyParseError).map { "\($0.file):\($0.line)" }, "preds_h5.csv:4")
        }
    }
}
