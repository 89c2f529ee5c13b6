import StackdDaemon
import XCTest

/// `learner.challengers` and `learner.challenger_min_rows`: parsed, defaulted, and refused with
/// a clear message when they name no registered learner (or one twice) or leave the range.
final class ChallengerConfigurationTests: XCTestCase {
    let base = """
        [models]
        names = ["a", "b"]
        [stream]
        horizons = [5]
        [input]
        bind = ["tcp://127.0.0.1:1"]
        [output]
        bind = ["tcp://127.0.0.1:2"]

        """

    func testDefaultsObserveNothing() throws {
        let c = try ConfigurationLoader.parse(base, source: "c.toml")
        XCTAssertEqual(c.learner.challengers, [])
        XCTAssertEqual(c.learner.challengerMinRows, 0)
    }

    func testChallengersAndMinRowsAreRead() throws {
        let c = try ConfigurationLoader.parse(base + "[learner]\nchallengers = [\"xgboost\", \"mlp\"]\nchallenger_min_rows = 500\n",
                                              source: "c.toml")
        XCTAssertEqual(c.learner.challengers, ["xgboost", "mlp"])
        XCTAssertEqual(c.learner.challengerMinRows, 500)
    }

    func testUnknownDuplicateAndOutOfRangeSettingsAreRefusedWithTheirLine() {
        let cases: [(String, String)] = [
            ("[learner]\nchallengers = [\"xgboost\", \"forest\"]\n",
             "c.toml:10: learner.challengers: \"forest\" is not a registered meta-learner (registered: logistic, xgboost, blend, mlp)"),
            ("[learner]\nchallengers = [\"mlp\", \"mlp\"]\n", "c.toml:10: learner.challengers: \"mlp\" is listed twice"),
            ("[learner]\nchallengers = [\"mlp\"]\nchallenger_min_rows = -1\n", "c.toml:11: learner.challenger_min_rows: must be in 0...1000000"),
        ]
        for (tail, expected) in cases {
            XCTAssertThrowsError(try ConfigurationLoader.parse(base + tail, source: "c.toml"), tail) { error in
                let problems = (error as? ConfigurationFileError)?.problems ?? []
                XCTAssertEqual(problems.count, 1, "\(problems)")
                XCTAssertTrue(problems.first?.hasPrefix(expected) ?? false, "\(problems) lacks \(expected)")
            }
        }
    }
}
