import Foundation
@testable import StackdCore
@testable import StackdDaemon
import StackdTraining
import XCTest

/// A promoted model is served refitted on its whole window, so it has learned from the rows the
/// next retrain validates on. The next retrain must judge that champion by its gated twin (the
/// same candidate fitted on meta-train only), or the champion's score would be optimistic.
final class GatedTwinChampionTests: XCTestCase {
    func testARefittedChampionIsJudgedByItsGatedTwin() throws {
        var config = try ConfigurationLoader.parse(EmbeddedConfiguration.demo, source: "demo")
        config.pipeline.models = ["a", "b", "c"]
        config.pipeline.regimeNames = []
        config.learner.kind = .logistic
        config.learner.features = .basic
        config.learner.minImprovementZ = 0
        let train = try XCTUnwrap(DaemonTrainer.make(configuration: config))
        let layout = StackingFeatureLayout(models: config.pipeline.models, classCount: 3, regimeNames: [],
                                           skillWindow: config.pipeline.skillWindow)
        let rows = Self.rows(n: 3000, featureCount: layout.count)
        func request(champion: any MetaCombiner, sequence: Int) -> TrainingRequest {
            TrainingRequest(horizon: 5, horizonIndex: 0, triggerEventTime: 0, applyFrom: 0, rows: rows, champion: champion,
                            sequence: sequence, driftReferenceBuilder: nil)
        }

        let first = train(request(champion: AveragingCombiner(modelCount: 3, classCount: 3), sequence: 7))
        XCTAssertEqual(first.decision, .promote, first.reason)
        let served = try XCTUnwrap(first.combiner)
        let outcome = try XCTUnwrap(first.outcome)
        let gatedLoss = try XCTUnwrap(outcome.score(outcome.decision.chosenName)).validation.logLoss

        // The same window again, with the refit serving: the champion's row in the comparison is
        // the gated twin's score (identical rows, identical split), not the refit's.
        let second = train(request(champion: served, sequence: 8))
        let championLoss = try XCTUnwrap(second.outcome?.score("champion v7")).validation.logLoss
        XCTAssertEqual(championLoss, gatedLoss, accuracy: 1e-12)
        // Independent check that the distinction matters here: the refit itself scores better on
        // these validation rows, because it learned from them.
        let valid = try XCTUnwrap(second.outcome).validationRows
        let refitLoss = Self.validationLogLoss(served, rows: rows, validationRows: valid)
        XCTAssertLessThan(refitLoss, gatedLoss - 1e-4)
    }

    static func validationLogLoss(_ c: any MetaCombiner, rows: OutOfSampleRows, validationRows: Int) -> Double {
        let mk = rows.modelCount * rows.classCount, f = rows.featureCount
        var total = 0.0, out = [Double](repeating: 0, count: 3)
        for i in (rows.count - validationRows)..<rows.count {
            rows.basePredictions.withUnsafeBufferPointer { b in
                rows.features.withUnsafeBufferPointer { x in
                    out.withUnsafeMutableBufferPointer { o in
                        c.combine(basePredictions: UnsafeBufferPointer(rebasing: b[(i * mk)..<((i + 1) * mk)]),
                                  features: UnsafeBufferPointer(rebasing: x[(i * f)..<((i + 1) * f)]), presentMask: 0b111, into: o)
                    }
                }
            }
            total -= log(out[rows.labels[i]])
        }
        return total / Double(validationRows)
    }

    /// Three models of increasing skill on a deterministic stream, one row per day; the features'
    /// basic columns are the base probabilities (the rest stay zero: the basic learner reads no more).
    static func rows(n: Int, featureCount: Int) -> OutOfSampleRows {
        var state: UInt64 = 42
        func u() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) / Double(1 << 53) }
        var r = OutOfSampleRows(modelCount: 3, classCount: 3, featureCount: featureCount)
        let day: Int64 = 86_400_000_000_000
        for i in 0..<n {
            let y = Int(u() * 3)
            var base: [Double] = []
            for m in 0..<3 {
                var p = (0..<3).map { c in u() + (c == y ? 0.3 + 0.2 * Double(m) : 0) }
                let s = p.reduce(0, +)
                p = p.map { $0 / s }
                base += p
            }
            let features = base + [Double](repeating: 0, count: featureCount - base.count)
            let ensemble = [Double](repeating: 1.0 / 3, count: 3)
            base.withUnsafeBufferPointer { b in
                features.withUnsafeBufferPointer { f in
                    ensemble.withUnsafeBufferPointer { e in
                        r.append(eventTime: Int64(i) * day, exitTime: Int64(i + 5) * day, symbol: 0, label: y, forwardReturn: 0.001,
                                 basePredictions: b, features: f, ensemble: e, modelVersion: 0)
                    }
                }
            }
        }
        return r
    }
}
