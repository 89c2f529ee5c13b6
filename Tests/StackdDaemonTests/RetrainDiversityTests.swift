import Foundation
import Logging
import StackdCore
@testable import StackdDaemon
@testable import StackdReplay
import StackdTraining
import XCTest

/// Every retrain computes `diversity_analysis.json` on the very validation rows the trainer
/// judged on, and a served model's version directory in the model store holds it.
final class RetrainDiversityTests: XCTestCase {
    final class Results: @unchecked Sendable {
        let lock = NSLock()
        var outcomes: [TrainingOutcome] = []
        func append(_ o: TrainingOutcome) { lock.lock(); outcomes.append(o); lock.unlock() }
    }

    func testRetrainsCarryDiversityAndThePromotedVersionDirectoryHoldsIt() throws {
        let (config, events, _) = try ClassCountReplayTests.stream(classes: 3)
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let trainer = try XCTUnwrap(DaemonTrainer.make(configuration: config))
        let results = Results()
        let capturing: TrainingFunction = { request in
            let r = trainer(request)
            if let o = r.outcome { results.append(o) }
            return r
        }
        _ = try ReplayRunner(configuration: config, trainer: capturing, logger: logger).run(events: events)
        XCTAssertFalse(results.outcomes.isEmpty, "retrains ran")
        for o in results.outcomes {
            let d = try XCTUnwrap(o.diversity, "every retrain outcome carries its diversity analysis")
            XCTAssertEqual(d.validationRows, o.validationRows, "the trainer's own validation rows")
            XCTAssertEqual(d.horizon, o.horizon)
            XCTAssertEqual(d.analysis.models, o.models)
        }
        // This stream's retrains keep averaging (nothing to save); serve the last one's fitted
        // candidate, as a promotion would, so the store writes the outcome's files.
        var promoted = try XCTUnwrap(results.outcomes.last)
        promoted.chosen = try XCTUnwrap(promoted.candidates.first).combiner
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("retrain-diversity-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let store = ModelStore(directory: state, horizons: [promoted.horizon], layout: promoted.layout, logger: logger)
        let name = try store.save(combiner: promoted.chosen, horizon: promoted.horizon, version: promoted.chosen.version,
                                  reason: "retrain", outcome: promoted)
        let file = (store.versionDirectory(promoted.horizon, name) as NSString).appendingPathComponent("diversity_analysis.json")
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        XCTAssertEqual(json["validation_rows"] as? Int, promoted.validationRows)
        XCTAssertNotNil(store.loadCurrent(horizon: promoted.horizon), "the version with the extra file still loads (checksums)")
    }
}
