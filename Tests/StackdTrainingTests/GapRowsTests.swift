import StackdLearning
import XCTest
@testable import StackdTraining

/// Training rows of a stream with a gap compute the cross-model features over the present models
/// only, as the live pipeline does (an imputed vector is a stand-in, not a vote).
final class GapRowsTests: XCTestCase {
    func testCrossModelFeaturesCountOnlyThePresentModels() throws {
        let preds = """
        timestamp,symbol,horizon,model,p_short,p_neutral,p_long
        2020-01-03,SPX,5,a,0.5,0.3,0.2
        2020-01-03,SPX,5,c,0.1,0.5,0.4
        2020-01-02,SPX,5,a,0.2,0.3,0.5
        2020-01-02,SPX,5,b,0.6,0.2,0.2
        2020-01-02,SPX,5,c,0.1,0.1,0.8
        """
        let labels = """
        timestamp,symbol,horizon,label,fwd_return,exit_timestamp
        2020-01-02,SPX,5,1,0.01,2020-01-09
        2020-01-03,SPX,5,0,0.0,2020-01-10
        """
        let rows = TrainingRows(dataset: try OOSDailyDataset(horizon: 5, predictions: preds, labels: labels))
        let names = rows.layout.names
        func feature(_ row: Int, _ name: String) throws -> Double {
            rows.features[row, try XCTUnwrap(names.firstIndex(of: name), name)]
        }
        // 2020-01-03: a votes short, c neutral (b, imputed as [0.3, 0.4, 0.3], would vote neutral).
        // Present votes tie 1–1; the tie goes to the higher mean probability over the present
        // models: neutral 0.4 > short 0.3. One present model agrees with it (two if b counted).
        XCTAssertEqual(try feature(1, "majority_vote"), 0)
        XCTAssertEqual(try feature(1, "agree_count"), 1)
        XCTAssertEqual(try feature(1, "all_agree"), 0)
        // avg_conf over the present models: (0.5 + 0.5) / 2.
        XCTAssertEqual(try feature(1, "avg_conf"), 0.5, accuracy: 1e-15)
        // The complete event counts all three models: a long, b short, c long → long, 2 agree.
        XCTAssertEqual(try feature(0, "majority_vote"), 1)
        XCTAssertEqual(try feature(0, "agree_count"), 2)
    }
}
