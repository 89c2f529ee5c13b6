import Foundation
import Logging
import StackdCore
@testable import StackdDaemon
@testable import StackdReplay
@testable import StackdTraining
import XCTest

/// `learner.challenger_min_rows` = N > 0 on a real retrain (the request a replay's pipeline made,
/// the configured trainer): the live evidence the request carries decides whether the
/// challenger replaces the champion, and a challenger's learner never gets through the gate alone.
final class ChallengerPromotionTests: XCTestCase {
    final class Captured: @unchecked Sendable {
        let lock = NSLock()
        var request: TrainingRequest?
        func keep(_ r: TrainingRequest) { lock.lock(); if request == nil { request = r }; lock.unlock() }
    }

    /// The first retrain request of the synthetic stream (model a puts 0.6 on every label: a
    /// logistic meta-learner beats every baseline by far, so the gate alone would promote it).
    func firstRequest(_ config: DaemonConfiguration) throws -> TrainingRequest {
        let (_, events, _) = try ClassCountReplayTests.stream(classes: 3)
        let captured = Captured()
        let real = try XCTUnwrap(DaemonTrainer.make(configuration: config))
        var logger = Logger(label: "test")
        logger.logLevel = .error
        _ = try ReplayRunner(configuration: config, trainer: { captured.keep($0); return real($0) }, logger: logger).run(events: events)
        return try XCTUnwrap(captured.request)
    }

    func standing(rows: Int, challenger: Double, champion: Double) -> ChallengerStanding {
        ChallengerStanding(name: "logistic", challenger: ScoreAccumulator(), champion: ScoreAccumulator(), window: 50,
                           recentCount: rows, recentLogLoss: challenger, recentChampionLogLoss: champion)
    }

    func testLiveEvidenceDecidesThePromotion() throws {
        var (config, _, _) = try ClassCountReplayTests.stream(classes: 3)
        config.learner.challengers = ["logistic"]
        let request = try firstRequest(config)
        XCTAssertEqual(request.challengers.first?.recentCount, 0, "no challenger before the first retrain")

        // N = 0: observed only. Under 1 000 meta-train rows the gate fits only the blend, which
        // cannot beat model a (it already puts 0.6 on every label): the gate falls back. The
        // logistic challenger is fitted anyway, with the candidates' protocol.
        let observe = try XCTUnwrap(DaemonTrainer.make(configuration: config))(request)
        XCTAssertEqual(observe.decision, .fallback, observe.reason)
        XCTAssertEqual(observe.challengers.first?.method, .logistic)

        config.learner.challengerMinRows = 50
        let trainer = try XCTUnwrap(DaemonTrainer.make(configuration: config))
        func train(_ s: ChallengerStanding) -> TrainingResult {
            var r = request
            r.challengers = [s]
            return trainer(r)
        }
        // Too few live rows, or not better than the champion live: the gate's decision stands.
        for s in [standing(rows: 10, challenger: 0.3, champion: 0.9), standing(rows: 50, challenger: 0.95, champion: 0.9),
                  standing(rows: 50, challenger: 0.9, champion: 0.9)] {
            let r = train(s)
            XCTAssertEqual(r.decision, .fallback, "\(s)")
            XCTAssertEqual(r.reason, observe.reason)
        }

        // 50 rows, better live, and its new fit beats the baselines on validation: promoted, and
        // what serves is the challenger's fit itself.
        let better = train(standing(rows: 50, challenger: 0.3, champion: 0.9))
        XCTAssertEqual(better.decision, .promote)
        XCTAssertTrue(better.reason.hasPrefix("challenger logistic beat the champion over its last 50 live labelled rows (log_loss 0.3000 vs 0.9000)"),
                      better.reason)
        XCTAssertTrue(better.reason.hasSuffix("(the gate alone: fallback, \(observe.reason))"), better.reason)
        let served = try XCTUnwrap(better.combiner)
        XCTAssertTrue(served === better.challengers.first, "the challenger itself replaces the champion")
    }

    func testAChallengersLearnerIsNotPromotedByTheGateAlone() throws {
        var (config, _, _) = try ClassCountReplayTests.stream(classes: 3)
        config.learner.challengers = ["logistic"]
        let request = try firstRequest(config)
        let fitted = try XCTUnwrap(DaemonTrainer.make(configuration: config)?(request).challengers.first as? any FittedMetaLearner)
        let candidate = TrainedCandidate(name: "LR meta (basic, F=9)", kind: .logistic(.basic), combiner: fitted, importanceType: "",
                                         featureImportance: [], modelWeights: [])
        XCTAssertEqual(ChallengerPromotion.blocks(candidate: candidate, standings: [standing(rows: 10, challenger: 0.3, champion: 0.9)], minRows: 50),
                       "LR meta (basic, F=9) wins the gate but challenger logistic has not beaten the champion live (only 10 of 50 live labelled rows scored)")
        XCTAssertEqual(ChallengerPromotion.blocks(candidate: candidate, standings: [standing(rows: 50, challenger: 0.95, champion: 0.9)], minRows: 50),
                       "LR meta (basic, F=9) wins the gate but challenger logistic has not beaten the champion live (log_loss 0.9500 vs the champion's 0.9000 over its last 50 live rows)")
        XCTAssertNil(ChallengerPromotion.blocks(candidate: candidate, standings: [standing(rows: 50, challenger: 0.3, champion: 0.9)], minRows: 50))
        XCTAssertNil(ChallengerPromotion.blocks(candidate: candidate, standings: [standing(rows: 10, challenger: 0.3, champion: 0.9)], minRows: 0),
                     "N = 0: challengers are only observed")
        let other = TrainedCandidate(name: "XGB meta", kind: .xgboost(.basic), combiner: fitted, importanceType: "", featureImportance: [], modelWeights: [])
        XCTAssertNil(ChallengerPromotion.blocks(candidate: other, standings: [standing(rows: 10, challenger: 0.3, champion: 0.9)], minRows: 50),
                     "a learner that is no challenger is judged by the gate alone")
    }
}
