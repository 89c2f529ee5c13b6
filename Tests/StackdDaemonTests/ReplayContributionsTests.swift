import Foundation
import Logging
import StackdCore
@testable import StackdDaemon
import StackdLearning
@testable import StackdReplay
@testable import StackdReport
import XCTest

/// A replay with `output.contributions`: every output's contributions reach the report's
/// per-day timeline, the HTML report gains the contributions chart, and the output digest is the
/// same as without them (it covers the version-1 bytes only).
final class ReplayContributionsTests: XCTestCase {
    func testReplayTimelineIsTheMeanAbsoluteShareOfEachModelAndTheReportPlotsIt() throws {
        var (config, events, _) = try ClassCountReplayTests.stream(classes: 3)
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let plain = try ReplayRunner(configuration: config, trainer: nil, logger: logger).run(events: events)
        config.pipeline.contributions = true
        let result = try ReplayRunner(configuration: config, trainer: nil, logger: logger).run(events: events)
        XCTAssertEqual(result.digest, plain.digest, "contributions do not change the digested outputs")
        XCTAssertTrue(plain.contributions.allSatisfy(\.isEmpty))

        // Independent truth from the stream: averaging serves argmax of the mean vector, and model
        // m's share of it is p_m[served] / 3. All 700 event times fall on one day.
        var byTime: [Int64: [String: [Double]]] = [:]
        for e in events {
            if case .prediction(let model, let p) = e.kind { byTime[e.eventTime, default: [:]][model] = p }
        }
        var expected = [0.0, 0.0, 0.0]
        for (_, vectors) in byTime {
            let mean = (0..<3).map { c in ["a", "b", "c"].reduce(0.0) { $0 + vectors[$1]![c] } / 3 }
            var served = 0
            for c in 1..<3 where mean[c] > mean[served] { served = c }
            for (j, m) in ["a", "b", "c"].enumerated() { expected[j] += vectors[m]![served] / 3 }
        }
        expected = expected.map { $0 / Double(byTime.count) }
        let timeline = try XCTUnwrap(result.contributions.first)
        XCTAssertEqual(timeline.counts, [byTime.count])
        XCTAssertEqual(timeline.scales, [.probability])
        for j in 0..<3 { XCTAssertEqual(timeline.mean(bucket: 0, group: j), expected[j], accuracy: 1e-12) }
        XCTAssertEqual(timeline.mean(bucket: 0, group: 3), 0)
        XCTAssertEqual(timeline.mean(bucket: 0, group: 4), 0)

        let html = BacktestArtifacts(result: result, source: "contributions", window: .lastShare(1)).html
        XCTAssertTrue(html.contains("mean |contribution| to the served class per base model"))
        let section = try XCTUnwrap(html.components(separatedBy: "<section class=\"horizon\"").dropFirst().first)
        XCTAssertEqual(section.components(separatedBy: "<svg").count - 1, HTMLReport.chartsPerHorizon + 1)
        let without = BacktestArtifacts(result: plain, source: "contributions", window: .lastShare(1)).html
        XCTAssertFalse(without.contains("mean |contribution|"))
    }

    /// The publisher's preallocated payload holds the largest output the format allows.
    func testThePublisherPayloadHoldsTheLargestOutputWithContributions() {
        let largest = WireEncoder.ensembleSize(classCount: WireFormat.maxClassCount, symbolLength: WireFormat.maxNameLength,
                                               contributionModels: 64)
        XCTAssertEqual(largest, 780)
        XCTAssertLessThanOrEqual(largest, EnsemblePublisher.payloadCapacity)
    }

    /// Buckets: one per (day, scale); a day with both scales keeps two, and the series name them.
    func testTimelineKeepsDaysAndScalesApart() {
        var t = ContributionTimeline(horizon: 5, modelCount: 1)
        let day = CivilDate.nanosecondsPerDay
        func add(_ time: Int64, _ scale: ContributionScale, _ v: [Double]) {
            v.withUnsafeBufferPointer { t.add(eventTime: time, scale: scale, values: $0) }
        }
        add(10 * day + 1, .probability, [0.5, 0, 0.25])
        add(10 * day + 2, .probability, [-0.25, 0, 0.25])
        add(10 * day + 3, .logit, [2, -1, 0.5])
        add(11 * day, .logit, [-4, 1, 0.5])
        add(10 * day + 4, .probability, [1, 0, 0])
        XCTAssertEqual(t.counts, [3, 1, 1])
        XCTAssertEqual(t.days, [10 * day, 10 * day, 11 * day])
        XCTAssertEqual(t.mean(bucket: 0, group: 0), (0.5 + 0.25 + 1) / 3)
        XCTAssertEqual(t.mean(bucket: 2, group: 0), 4)
        let series = t.series(models: ["m"], palette: ["#111111"])
        XCTAssertEqual(series.map(\.name), ["m (logit)", "shared (logit)", "bias (logit)",
                                            "m (probability)", "shared (probability)", "bias (probability)"])
        XCTAssertEqual(series[0].times, [10 * day, 11 * day])
        XCTAssertEqual(series[0].values, [2, 4])
    }
}
