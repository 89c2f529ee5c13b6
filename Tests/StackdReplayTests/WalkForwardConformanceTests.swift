import Foundation
import Logging
import StackdCore
import StackdDaemon
import StackdLearning
import StackdReplay
import StackdTestSupport
import XCTest

/// The online loop reproduces the reference's walk-forward logistic stacking
/// (`../shared/reference/REFERENCE.md`, "LR meta ext, walk-forward"): predictions and labels
/// (delivered at their exit time) stream through the same pipeline as `stackd run`, with a
/// retrain every 250 distinct event times once 2000 labelled rows exist, logistic C = 1 on the
/// extended features, every fit installed. Test log-loss per horizon must be within 0.002.
final class WalkForwardConformanceTests: XCTestCase {
    static var shared: URL { SharedData.root }

    func testReplayWithScheduledRetrainsMatchesReferenceWalkForward() throws {
        let data = Self.shared.appendingPathComponent("data/oos-daily")
        guard FileManager.default.fileExists(atPath: data.appendingPathComponent("preds_h5.csv").path) else {
            throw XCTSkip("../shared/data/oos-daily is absent")
        }
        let reference = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Self.shared.appendingPathComponent("reference/reference_results.json"))) as! [String: Any]
        let loaded = try OOSDailyStream.load(directory: data.path)
        var config = try ConfigurationLoader.parse(EmbeddedConfiguration.demo, source: "demo")
        config.pipeline.models = loaded.models
        config.pipeline.horizons = loaded.horizons
        config.retrain = RetrainPolicy(everyEventTimes: 250, minRows: 2000, windowRows: 1_000_000)
        config.learner.promotion = .always
        config.learner.c = 1
        config.learner.features = .extended
        let replay = ReplayRunner(configuration: config, trainer: DaemonTrainer.make(configuration: config),
                                  logger: Logger(label: "test"))
        let result = try replay.run(events: loaded.events)
        XCTAssertEqual(result.counters.totalRejected, 0)
        XCTAssertEqual(result.counters.lateModelInstalls, 0, "replay installs every model exactly at its apply time")

        for (h, horizon) in result.horizons.enumerated() {
            let info = (reference["\(horizon)"] as! [String: Any])["info"] as! [String: Any]
            let methods = (reference["\(horizon)"] as! [String: Any])["methods"] as! [[String: Any]]
            let wf = methods.first { ($0["method"] as! String).hasPrefix("LR meta ext, walk-forward") }!
            let expected = wf["log_loss"] as! Double
            let cut = try XCTUnwrap(CivilDate.epochNanoseconds(info["cut_timestamp"] as! String))
            let rows = result.labelled[h]
            var sum = 0.0, n = 0, correct = 0
            for i in 0..<rows.labels.count where rows.eventTimes[i] >= cut {
                let p = Array(rows.ensemble[3 * i ..< 3 * i + 3])
                sum -= log(max(p[rows.labels[i]], 1e-15))
                n += 1
                if p.indices.max(by: { p[$0] < p[$1] }) == rows.labels[i] { correct += 1 }
                XCTAssertGreaterThan(rows.modelVersions[i], 0, "every test row is served by a fitted model")
            }
            XCTAssertEqual(n, info["n_test"] as! Int, "h\(horizon): test rows")
            let logLoss = sum / Double(n)
            XCTAssertEqual(logLoss, expected, accuracy: 0.002, "h\(horizon): walk-forward test log-loss")
            let fits = result.trainings.filter { $0.horizon == horizon }.count
            XCTAssertEqual("(\(fits) fits)", (wf["method"] as! String).components(separatedBy: " ").suffix(2).joined(separator: " "),
                           "h\(horizon): number of refits")
            print("h\(horizon): walk-forward test log-loss \(logLoss) vs reference \(expected) (diff \(logLoss - expected)); accuracy \(Double(correct) / Double(n)) vs \(wf["accuracy"] as! Double)")
        }
    }
}
