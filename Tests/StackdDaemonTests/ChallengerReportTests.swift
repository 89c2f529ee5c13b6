import Foundation
import Logging
import StackdCore
@testable import StackdDaemon
import StackdLearning
@testable import StackdReplay
@testable import StackdReport
import XCTest

/// Challengers in `stackd replay --report`: hand arithmetic on a tiny result, and a real replay
/// with retrains whose challengers are scored on exactly the rows after their first apply time,
/// without changing a single published output.
final class ChallengerReportTests: XCTestCase {
    func testHandBuiltChallengerIsScoredOnTheRowsItWasInstalledFor() throws {
        var result = ReportFixtures.tiny()
        // r0 emitted before the challenger was installed (NaN first); then one vector per row.
        result.labelled[0].challengers = [.nan, .nan, .nan, 0.6, 0.2, 0.2, 0.2, 0.2, 0.6, 0.2, 0.6, 0.2]
        result.challengerNames = ["mlp"]
        let report = BacktestReport(result: result, source: "tiny", window: .lastShare(1))
        let c = try XCTUnwrap(report.horizons.first?.challengers?.first)
        XCTAssertEqual(c.name, "mlp")
        XCTAssertEqual(c.rows, 3)
        // Rows 1–3 (labels 0, 2, 1): the challenger puts 0.6 on each; the ensemble (a's vectors) 0.5, 0.6, 0.5.
        let challengerLoss = -log(0.6), ensembleLoss = -(log(0.5) + log(0.6) + log(0.5)) / 3
        XCTAssertEqual(try XCTUnwrap(c.metrics).logLoss, challengerLoss, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(c.ensemble).logLoss, ensembleLoss, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(c.metrics).accuracy, 1)
        let d = try XCTUnwrap(c.comparisons.first { $0.metric == "log_loss" })
        XCTAssertEqual(d.baseline, "challenger")
        XCTAssertEqual(d.baselineName, "mlp")
        XCTAssertEqual(d.difference, ensembleLoss - challengerLoss, accuracy: 1e-12)
        XCTAssertTrue(d.standardError.isFinite && d.standardError >= 0)

        // The file round-trips, names only keys the schema describes, and the page shows the table.
        let data = try report.jsonData()
        XCTAssertEqual(try BacktestReport.decode(data).horizons.first?.challengers, report.horizons.first?.challengers)
        let schemaURL = ReportFixtures.repository.appendingPathComponent("schemas/backtest.schema.json")
        let schema = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: schemaURL)) as? [String: Any])
        let defs = try XCTUnwrap(schema["$defs"] as? [String: Any])
        let horizon = try XCTUnwrap((defs["horizon"] as? [String: Any])?["properties"] as? [String: Any])
        let item = try XCTUnwrap(((horizon["challengers"] as? [String: Any])?["items"] as? [String: Any])?["properties"] as? [String: Any])
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let written = try XCTUnwrap(((object["horizons"] as? [[String: Any]])?.first?["challengers"] as? [[String: Any]])?.first)
        XCTAssertEqual(Set(written.keys).subtracting(item.keys), [], "keys the schema does not describe")
        XCTAssertEqual(object["formatVersion"] as? Int, 4)
        let html = HTMLReport.render(report, charts: [])
        XCTAssertTrue(html.contains("<h3>Challengers (scored, never served)</h3>"))
        XCTAssertTrue(html.contains("<td class=\"text\">mlp</td><td>3</td><td>\(String(format: "%.4f", challengerLoss))</td>"))

        // Without challengers the section is absent from the file.
        let plain = try BacktestReport(result: ReportFixtures.tiny(), source: "tiny").jsonData()
        XCTAssertFalse(String(decoding: plain, as: UTF8.self).contains("challengers"))
    }

    func testReplayScoresChallengersFromTheirFirstApplyTimeAndPublishesTheSameOutputs() throws {
        let (plain, events, _) = try ClassCountReplayTests.stream(classes: 3)
        var config = plain
        config.learner.challengers = ["blend", "xgboost"]
        var logger = Logger(label: "test")
        logger.logLevel = .error
        func replay(_ c: DaemonConfiguration) throws -> ReplayRunner.Result {
            try ReplayRunner(configuration: c, trainer: DaemonTrainer.make(configuration: c), logger: logger).run(events: events)
        }
        let result = try replay(config)
        let without = try replay(plain)
        XCTAssertEqual(result.digest, without.digest, "challengers never change what is published")
        XCTAssertEqual(result.trainings.map(\.decision), without.trainings.map(\.decision))
        XCTAssertEqual(result.challengerNames, ["blend", "xgboost"])

        let rows = try XCTUnwrap(result.labelled.first)
        let n = rows.labels.count
        XCTAssertEqual(rows.challengers.count, n * 2 * 3)
        // Replay trains synchronously: the first retrain's challengers apply exactly at its apply time.
        let firstApply = try XCTUnwrap(result.trainings.first).applyFrom
        let scored = (0..<n).filter { rows.eventTimes[$0] >= firstApply }
        XCTAssertGreaterThan(scored.count, 100)
        for i in 0..<n {
            XCTAssertEqual(rows.challengers[i * 6].isNaN, rows.eventTimes[i] < firstApply, "row \(i)")
        }
        let report = BacktestReport(result: result, source: "synthetic", window: .lastShare(1))
        let challengers = try XCTUnwrap(report.horizons.first?.challengers)
        XCTAssertEqual(challengers.map(\.name), ["blend", "xgboost"])
        // The served ensemble on those rows, from the published vectors.
        let ensembleLoss = scored.reduce(0.0) { $0 - log(max(rows.ensemble[$1 * 3 + rows.labels[$1]], 1e-15)) } / Double(scored.count)
        for (c, challenger) in challengers.enumerated() {
            XCTAssertEqual(challenger.rows, scored.count, challenger.name)
            XCTAssertEqual(try XCTUnwrap(challenger.ensemble).logLoss, ensembleLoss, accuracy: 1e-12, challenger.name)
            let own = scored.reduce(0.0) { $0 - log(max(rows.challengers[($1 * 2 + c) * 3 + rows.labels[$1]], 1e-15)) } / Double(scored.count)
            XCTAssertEqual(try XCTUnwrap(challenger.metrics).logLoss, own, accuracy: 1e-12, challenger.name)
            // Model a puts 0.6 on every label: a fitted challenger learns to beat chance by far.
            XCTAssertLessThan(own, log(3.0) - 0.1, challenger.name)
        }
    }
}
