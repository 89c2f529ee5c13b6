@testable import StackdCore
import StackdTestSupport
import XCTest

/// A pipeline that does not emit features (`emitsFeatures: false`, a replay of events) computes a
/// row's features only where something reads them: what it publishes and scores is exactly what
/// a pipeline that emits them publishes and scores, a combiner that reads features still gets
/// them, and so does the training window.
final class EmittedFeaturesTests: XCTestCase {
    /// The average, and the features it was handed (a combiner that reads them).
    final class FeatureReadingCombiner: MetaCombiner, @unchecked Sendable {
        let method = CombinationMethod.logistic
        let version: UInt32 = 7
        let average: AveragingCombiner
        var seen: [[Double]] = []
        init(modelCount: Int, classCount: Int) { average = AveragingCombiner(modelCount: modelCount, classCount: classCount) }
        func combine(basePredictions: UnsafeBufferPointer<Double>, features: UnsafeBufferPointer<Double>,
                     presentMask: UInt64, into out: UnsafeMutableBufferPointer<Double>) {
            seen.append(Array(features))
            average.combine(basePredictions: basePredictions, features: features, presentMask: presentMask, into: out)
        }
    }

    private var configuration: PipelineConfiguration {
        var c = PipelineConfiguration(models: ["a", "b"], horizons: [5], deadlineNanoseconds: 1_000, minModels: 1, maxPendingRows: 16)
        c.skillWindow = 4   // the skill columns are features too
        return c
    }

    /// 40 rows of both models, each labelled right after it completes.
    private func feed(_ p: StackingPipeline, into h: inout OutputRecorder) {
        for t in Int64(1)...40 {
            let x = Double(t % 7) / 10
            p.predict("a", ts: t, [0.2 + x / 2, 0.3, 0.5 - x / 2], into: &h)
            p.predict("b", ts: t, [0.6 - x, 0.3, 0.1 + x], into: &h)
            p.feed(WireEncoder.binaryLabel(symbol: "SPX", horizon: 5, eventTime: t, sequence: UInt64(t), classIndex: Int(t % 3),
                                           classCount: 3, forwardReturn: 0.01, exitTime: t + 1), into: &h)
        }
    }

    private func encoding() -> OutputRecorder.Encoding { OutputRecorder.Encoding(modelNames: ["a", "b"]) }

    func testOutputsAndScoresEqualThoseOfAPipelineThatEmitsFeatures() throws {
        let emitting = try StackingPipeline(configuration: configuration, monitoring: true, keepsTrainingWindow: false)
        let quiet = try StackingPipeline(configuration: configuration, monitoring: true, keepsTrainingWindow: false,
                                         emitsFeatures: false)
        var h1 = OutputRecorder(encoding: encoding()), h2 = OutputRecorder(encoding: encoding())
        feed(emitting, into: &h1)
        feed(quiet, into: &h2)
        XCTAssertEqual(h1.outputs.count, 40)
        XCTAssertEqual(h1.binary, h2.binary, "published bytes")
        XCTAssertEqual(h1.json, h2.json, "published JSON")
        XCTAssertEqual(h1.outputs.map(\.probabilities), h2.outputs.map(\.probabilities))
        XCTAssertTrue(h1.outputs.allSatisfy { $0.features.count == emitting.layout.count })
        XCTAssertTrue(h2.outputs.allSatisfy { $0.features.isEmpty }, "no features computed for the averaging combiner")
        XCTAssertEqual(h2.labeled.count, 40)
        XCTAssertTrue(h2.labeled.allSatisfy { $0.features.isEmpty })
        XCTAssertEqual(emitting.scoreboard.ensemble, quiet.scoreboard.ensemble)
        XCTAssertEqual(emitting.scoreboard.models, quiet.scoreboard.models)
        XCTAssertEqual(h1.alerts.map(\.alert.message), h2.alerts.map(\.alert.message))
    }

    func testACombinerThatReadsFeaturesGetsThem() throws {
        let emitting = try StackingPipeline(configuration: configuration, keepsTrainingWindow: false)
        let quiet = try StackingPipeline(configuration: configuration, keepsTrainingWindow: false, emitsFeatures: false)
        let reference = FeatureReadingCombiner(modelCount: 2, classCount: 3), reader = FeatureReadingCombiner(modelCount: 2, classCount: 3)
        emitting.install(reference, forHorizonIndex: 0)
        quiet.install(reader, forHorizonIndex: 0)
        var h1 = OutputRecorder(), h2 = OutputRecorder()
        feed(emitting, into: &h1)
        feed(quiet, into: &h2)
        XCTAssertEqual(reader.seen.count, 40)
        XCTAssertTrue(reader.seen.allSatisfy { $0.count == quiet.layout.count })
        XCTAssertEqual(reader.seen, reference.seen, "the same features, skill columns included")
        XCTAssertEqual(h1.outputs, h2.outputs, "its outputs carry them as well")
    }

    func testTheTrainingWindowKeepsFeatures() throws {
        let emitting = try StackingPipeline(configuration: configuration)
        let quiet = try StackingPipeline(configuration: configuration, emitsFeatures: false)
        var h1 = OutputRecorder(), h2 = OutputRecorder()
        feed(emitting, into: &h1)
        feed(quiet, into: &h2)
        let window = quiet.windowSnapshot(horizonIndex: 0)
        XCTAssertEqual(window.count, 40)
        XCTAssertEqual(window.features.count, 40 * quiet.layout.count)
        XCTAssertEqual(window.features, emitting.windowSnapshot(horizonIndex: 0).features)
        XCTAssertEqual(h1.outputs, h2.outputs)
    }
}
