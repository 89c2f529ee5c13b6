import Foundation
@testable import StackdCore
@testable import StackdDaemon
import StackdLearning
import StackdTraining
import XCTest

/// `learner.logistic_c` reaches the retrain: the promoted logistic model is fitted at the
/// configured C (not a grid value), read from a TOML file as an operator writes it.
final class LogisticCConfigurationTests: XCTestCase {
    func testTheConfiguredLogisticCIsTheServedModelsC() throws {
        let toml = EmbeddedConfiguration.demo.replacingOccurrences(of: "[learner]\n", with: "[learner]\nlogistic_c = 0.042\n")
        XCTAssertNotEqual(toml, EmbeddedConfiguration.demo, "the [learner] table was not found")
        var config = try ConfigurationLoader.parse(toml, source: "test.toml")
        XCTAssertEqual(config.learner.logisticC, 0.042)
        config.pipeline.models = ["a", "b", "c"]
        config.pipeline.regimeNames = []
        config.learner.features = .basic
        config.learner.minImprovementZ = 0
        let train = try XCTUnwrap(DaemonTrainer.make(configuration: config))
        let layout = StackingFeatureLayout(models: config.pipeline.models, classCount: 3, regimeNames: [],
                                           skillWindow: config.pipeline.skillWindow)
        let rows = GatedTwinChampionTests.rows(n: 3000, featureCount: layout.count)
        let result = train(TrainingRequest(horizon: 5, horizonIndex: 0, triggerEventTime: 0, applyFrom: 0, rows: rows,
                                           champion: AveragingCombiner(modelCount: 3, classCount: 3), sequence: 3,
                                           driftReferenceBuilder: nil))
        XCTAssertEqual(result.decision, .promote, result.reason)
        let served = try XCTUnwrap(result.combiner as? LogisticCombiner, "\(String(describing: result.combiner))")
        XCTAssertEqual(served.model.C, 0.042)
    }

    /// The product default (no `logistic_c` line) fits C = 1, scikit-learn's default, chosen on
    /// in-window evidence (bench/QUALITY.md, "The default logistic C"), not a grid value.
    func testTheDefaultConfigurationServesTheLogisticModelAtCOne() throws {
        XCTAssertFalse(EmbeddedConfiguration.demo.contains("logistic_c"))
        var config = try ConfigurationLoader.parse(EmbeddedConfiguration.demo, source: "demo")
        XCTAssertEqual(config.learner.logisticC, 1)
        XCTAssertEqual(config.learner.c, 0, "learner.c stays 0, so XGBoost and the MLP keep their grids")
        config.pipeline.models = ["a", "b", "c"]
        config.pipeline.regimeNames = []
        config.learner.features = .basic
        config.learner.minImprovementZ = 0
        let train = try XCTUnwrap(DaemonTrainer.make(configuration: config))
        let layout = StackingFeatureLayout(models: config.pipeline.models, classCount: 3, regimeNames: [],
                                           skillWindow: config.pipeline.skillWindow)
        let rows = GatedTwinChampionTests.rows(n: 3000, featureCount: layout.count)
        let result = train(TrainingRequest(horizon: 5, horizonIndex: 0, triggerEventTime: 0, applyFrom: 0, rows: rows,
                                           champion: AveragingCombiner(modelCount: 3, classCount: 3), sequence: 3,
                                           driftReferenceBuilder: nil))
        XCTAssertEqual(result.decision, .promote, result.reason)
        let served = try XCTUnwrap(result.combiner as? LogisticCombiner, "\(String(describing: result.combiner))")
        XCTAssertEqual(served.model.C, 1)
        XCTAssertEqual(served.fitSummary.selection, "logistic C fixed by configuration")
    }

    func testANegativeLogisticCIsRefusedWithItsLine() throws {
        let toml = EmbeddedConfiguration.demo.replacingOccurrences(of: "[learner]\n", with: "[learner]\nlogistic_c = -1\n")
        XCTAssertThrowsError(try ConfigurationLoader.parse(toml, source: "test.toml")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("logistic_c"), text)
            let line = toml.components(separatedBy: "\n").firstIndex(of: "logistic_c = -1").map { $0 + 1 }
            XCTAssertTrue(text.contains("test.toml:\(line!)"), text)
        }
    }
}
