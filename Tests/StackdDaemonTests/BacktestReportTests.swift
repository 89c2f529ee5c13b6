import Foundation
import Logging
import StackdCore
@testable import StackdDaemon
import StackdLearning
@testable import StackdReplay
@testable import StackdReport
import StackdTestSupport
import StackdTraining
import XCTest

/// The backtest report's numbers against independent truth: hand arithmetic on a tiny replay
/// result, and the oos-daily CSV files read directly (which checks that replay joins each label
/// to its own row).
final class BacktestReportTests: XCTestCase {
    func testHandBuiltMetrics() throws {
        // The whole replay as the window (share 1), so every metric is over the four rows.
        let report = BacktestReport(result: ReportFixtures.tiny(), source: "tiny", window: .lastShare(1))
        let h = try XCTUnwrap(report.horizons.first)
        XCTAssertEqual(h.rows, 4)
        XCTAssertEqual(h.evaluation?.rows, 4)
        XCTAssertEqual(h.evaluation?.warmupRows, 0)
        XCTAssertEqual(h.warmup, [])
        // No warm-up: no row to choose a best single model on, so none is offered.
        XCTAssertNil(h.bestSingle)
        XCTAssertEqual(h.methods.map(\.name), ["ensemble", "averaging", "a", "b",
                                               "class prior", "always majority", "always long"])

        // Averaging rows: (a + b) / 2 =
        //   r0 [0.4, 0.2, 0.4]   → arg-max tie 0/2 → class 0; label 2 → miss, p_true 0.4
        //   r1 [0.35, 0.25, 0.4] → class 2; label 0 → miss, p_true 0.35
        //   r2 [0.15, 0.25, 0.6] → class 2; label 2 → hit,  p_true 0.6
        //   r3 [0.25, 0.4, 0.35] → class 1; label 1 → hit,  p_true 0.4
        let avg = try XCTUnwrap(h.method(.averaging)).metrics
        XCTAssertEqual(avg.accuracy, 0.5)
        XCTAssertEqual(avg.logLoss, -(log(0.4) + log(0.35) + log(0.6) + log(0.4)) / 4, accuracy: 1e-12)
        // Per class (predicted [0,2,2,1] vs actual [2,0,2,1]): class 0 tp0 fp1 fn1 → 0;
        // class 1 tp1 → 1; class 2 tp1 fp1 fn1 → 2/4. Macro = (0 + 1 + 0.5) / 3.
        XCTAssertEqual(avg.f1Macro, 1.5 / 3, accuracy: 1e-12)
        // Brier: Σ_c (p_c − 1[y=c])² per row, then the mean.
        let brier = ((0.16 + 0.04 + 0.36) + (0.4225 + 0.0625 + 0.16) + (0.0225 + 0.0625 + 0.16) + (0.0625 + 0.36 + 0.1225)) / 4
        XCTAssertEqual(avg.brier, brier, accuracy: 1e-12)
        // P&L = position × return = [−0.02, −0.02, 0.03, 0]: mean −0.0025, deviations
        // −0.0175, −0.0175, 0.0325, 0.0025 → var = 1.675e-3 / 3; Sharpe = mean / sd · √(252/5).
        XCTAssertEqual(avg.sharpe, -0.0025 / (1.675e-3 / 3).squareRoot() * (252.0 / 5).squareRoot(), accuracy: 1e-12)
        // Traded rows r0, r1, r2: one winner.
        XCTAssertEqual(avg.winRate, 1.0 / 3, accuracy: 1e-12)

        // The ensemble published model a's vectors: every row right.
        let ens = try XCTUnwrap(h.method(.ensemble)).metrics
        XCTAssertEqual(ens.accuracy, 1)
        XCTAssertEqual(ens.logLoss, -(log(0.6) + log(0.5) + log(0.6) + log(0.5)) / 4, accuracy: 1e-12)

        // Class prior (labels 2, 0, 2, 1, each known from its row's event time on, so for the
        // later rows only), (n_c + 1)/(n + 3): r0 nothing known → 1/3; r1 {2} → p(0) = 1/4;
        // r2 {2, 0} → p(2) = 2/5; r3 {2, 0, 2} → p(1) = 1/6.
        let prior = try XCTUnwrap(h.method(.classPrior)).metrics
        XCTAssertEqual(prior.logLoss, -(log(1.0 / 3) + log(1.0 / 4) + log(2.0 / 5) + log(1.0 / 6)) / 4, accuracy: 1e-12)
        // Always majority: r0 none seen → class 0; r1 {2} → 2; r2 {2,0} tie → 0; r3 {2,0,2} → 2.
        // Labels 2, 0, 2, 1: all misses, each costing −ln(1e-15).
        let majority = try XCTUnwrap(h.method(.alwaysMajority)).metrics
        XCTAssertEqual(majority.accuracy, 0)
        XCTAssertEqual(majority.logLoss, -log(1e-15), accuracy: 1e-9)
        // Always long: right on r0 and r2; Sharpe of the raw returns.
        let long = try XCTUnwrap(h.method(.alwaysLong)).metrics
        XCTAssertEqual(long.accuracy, 0.5)

        // Versions 0, 0, 3, 3 → two spans; one fallback among two retrains.
        XCTAssertEqual(h.modelVersions.map(\.version), [0, 3])
        XCTAssertEqual(h.modelVersions.map(\.eventTime), [ReportFixtures.day(0), ReportFixtures.day(2)])
        XCTAssertEqual(h.retrains.map(\.decision), ["promote", "fallback"])
        XCTAssertEqual(h.fallbacks.map(\.reason), ["nothing beat averaging"])
        XCTAssertEqual(h.retrains[0].version, 3)
        XCTAssertEqual(h.retrains[0].date, "2020-01-03")
        XCTAssertNotNil(h.diversity)
        XCTAssertEqual(report.counters.rejected["bad_sum"], 2)
        XCTAssertEqual(report.counters.rejected.count, RejectReason.allCases.count)
        XCTAssertEqual(report.events, 12)
        XCTAssertEqual(report.timing?.trainingSeconds, 0.5)
    }

    func testWindowFromADateKeepsTheWarmUpOutAndChoosesBestSingleOnIt() throws {
        // Window from day 2: rows r2, r3 scored; r0, r1 are the warm-up (their labels known before day 2).
        let report = BacktestReport(result: ReportFixtures.tiny(), source: "tiny", window: .from(ReportFixtures.day(2)))
        let h = try XCTUnwrap(report.horizons.first)
        let ev = try XCTUnwrap(h.evaluation)
        XCTAssertEqual(ev.rows, 2)
        XCTAssertEqual(ev.warmupRows, 2)
        XCTAssertEqual(ev.windowStartDate, "2020-01-03")
        // Best single by log-loss on r0, r1: a has p_true 0.6, 0.5; b 0.2, 0.2.
        let best = try XCTUnwrap(h.bestSingle)
        XCTAssertEqual(best.model, "a")
        XCTAssertEqual(best.selectionRows, 2)
        XCTAssertEqual(best.selectionLogLoss[0], -(log(0.6) + log(0.5)) / 2, accuracy: 1e-12)
        XCTAssertEqual(best.selectionLogLoss[1], -log(0.2), accuracy: 1e-12)
        // Window metrics are over r2, r3 only: averaging p_true 0.6 (r2), 0.4 (r3).
        XCTAssertEqual(try XCTUnwrap(h.method(.averaging)).metrics.logLoss, -(log(0.6) + log(0.4)) / 2, accuracy: 1e-12)
        // Warm-up shown separately: averaging p_true 0.4 (r0), 0.35 (r1).
        XCTAssertEqual(try XCTUnwrap(h.warmup.first { $0.kind == .averaging }).metrics.logLoss,
                       -(log(0.4) + log(0.35)) / 2, accuracy: 1e-12)
        XCTAssertEqual(h.methods.map(\.name), ["ensemble", "averaging", "best single (a)", "a", "b",
                                               "class prior", "always majority", "always long"])
    }

    func testPairedComparisonsAndVerdicts() throws {
        // h = 5 and 2 distinct event times in the window → blocks of max(5, ⌈√2⌉) = 5 event
        // times: one block, every resample is the window itself, so SE = 0 and any nonzero
        // difference is decisive.
        let report = BacktestReport(result: ReportFixtures.tiny(), source: "tiny", window: .from(ReportFixtures.day(2)))
        let ev = try XCTUnwrap(report.horizons.first?.evaluation)
        XCTAssertEqual(ev.blockLength, 5)
        XCTAssertEqual(ev.blocks, 1)
        XCTAssertEqual(ev.resamples, 1000)
        XCTAssertEqual(Set(ev.comparisons.map(\.metric)), ["log_loss", "f1_macro", "sharpe"])
        XCTAssertEqual(ev.comparisons.filter { $0.metric == "log_loss" }.map(\.baseline),
                       ["averaging", "best_single", "class_prior", "always_majority", "always_long"])
        func c(_ metric: String, _ baseline: String) throws -> PairedComparison {
            try XCTUnwrap(ev.comparisons.first { $0.metric == metric && $0.baseline == baseline })
        }
        // Ensemble (a's vectors) on r2, r3: p_true 0.6, 0.5; averaging 0.6, 0.4.
        let avg = try c("log_loss", "averaging")
        XCTAssertEqual(avg.ensembleValue, -(log(0.6) + log(0.5)) / 2, accuracy: 1e-12)
        XCTAssertEqual(avg.difference, -(log(0.5) - log(0.4)) / 2, accuracy: 1e-12)
        XCTAssertEqual(avg.standardError, 0, accuracy: 1e-12)
        XCTAssertEqual(avg.verdict, "wins")
        // The best single model is a: the very vectors the ensemble published.
        let best = try c("log_loss", "best_single")
        XCTAssertEqual(best.difference, 0)
        XCTAssertEqual(best.verdict, "ties")
        // Class prior on r2 ({2, 0} known → p(2) = 2/5), r3 ({2, 0, 2} → p(1) = 1/6).
        let prior = try c("log_loss", "class_prior")
        XCTAssertEqual(prior.baselineValue, -(log(2.0 / 5) + log(1.0 / 6)) / 2, accuracy: 1e-12)
        XCTAssertEqual(prior.verdict, "wins")
        // Accuracy-like: ensemble right on both rows (F1 of classes 1 and 2 = 1, class 0 absent → 0).
        XCTAssertEqual(try c("f1_macro", "averaging").ensembleValue, 2.0 / 3, accuracy: 1e-12)
        // The verdict rule itself: improvement beyond 2 SE wins, within ties, beyond −2 SE loses.
        XCTAssertEqual(PairedComparison.verdict(metric: "log_loss", difference: -0.03, standardError: 0.01), "wins")
        XCTAssertEqual(PairedComparison.verdict(metric: "log_loss", difference: -0.019, standardError: 0.01), "ties")
        XCTAssertEqual(PairedComparison.verdict(metric: "log_loss", difference: 0.021, standardError: 0.01), "loses")
        XCTAssertEqual(PairedComparison.verdict(metric: "sharpe", difference: 0.03, standardError: 0.01), "wins")
        XCTAssertEqual(PairedComparison.verdict(metric: "sharpe", difference: -0.03, standardError: 0.01), "loses")
    }

    func testModelWeightsOfInstalledCombiners() {
        let prior = TrainingResult(horizon: 5, horizonIndex: 0, requestSequence: 3, applyFrom: 10, rows: 100, decision: .fallback,
                                   reason: "prior", combiner: PriorShrinkageCombiner(modelCount: 2, classCount: 3, averagingWeight: 0.5,
                                                                                    prior: [0.2, 0.3, 0.5], version: 3))
        XCTAssertEqual(ReplayRunner.Handler.weights(of: prior),
                       ReplayRunner.ModelWeights(horizon: 5, applyFrom: 10, version: 3, models: [0.25, 0.25], prior: 0.5))
        let average = TrainingResult(horizon: 5, horizonIndex: 0, requestSequence: 4, applyFrom: 20, rows: 100, decision: .fallback,
                                     reason: "avg", combiner: AveragingCombiner(modelCount: 4, classCount: 3))
        XCTAssertEqual(ReplayRunner.Handler.weights(of: average)?.models, [0.25, 0.25, 0.25, 0.25])
        let none = TrainingResult(horizon: 5, horizonIndex: 0, requestSequence: 5, applyFrom: 30, rows: 100, decision: .keep,
                                  reason: "keep", combiner: nil)
        XCTAssertNil(ReplayRunner.Handler.weights(of: none))
    }

    func testBlockBootstrapStandardErrorOnTwoBlocks() throws {
        // 1 horizon, 2 rows at 2 event times, h = 1 → blocks of max(1, ⌈√2⌉) = 2 → one block again;
        // with 9 event times, ⌈√9⌉ = 3 → 3 blocks of 3. Per-row log-loss difference d_i = ensemble −
        // averaging; per-block sums S_b. Each resample's mean difference is Σ S_draw / n_draw.
        // Independent truth here: the SE must be the standard deviation over resamples of that
        // statistic, with the draws of SplitMix64 seeded with the horizon.
        var rows = ReplayRunner.LabelledRows()
        let n = 9
        rows.eventTimes = (0..<n).map { ReportFixtures.day(Int64($0)) }
        rows.exitTimes = rows.eventTimes
        rows.labels = [0, 1, 2, 0, 1, 2, 2, 2, 0]
        rows.forwardReturns = (0..<n).map { 0.01 * Double($0 - 4) }
        var ens: [Double] = [], base: [Double] = []
        for i in 0..<n {
            let e = [0.2, 0.3, 0.5].map { $0 + (i % 2 == 0 ? 0.0 : 0.0) }
            let q = i % 3 == 0 ? [0.6, 0.2, 0.2] : [0.1, 0.2, 0.7]
            ens += q
            base += e
        }
        rows.ensemble = ens
        rows.base = base
        rows.modelVersions = [UInt32](repeating: 1, count: n)
        let result = ReplayRunner.Result(digest: OutputDigest(), counters: PipelineCounters(horizonCount: 1), horizons: [1],
                                         modelNames: ["m"], labelled: [rows], trainings: [], events: 0,
                                         ingestNanoseconds: 0, trainingNanoseconds: 0)
        let ev = try XCTUnwrap(BacktestReport(result: result, source: "t", window: .lastShare(1)).horizons.first?.evaluation)
        XCTAssertEqual(ev.blockLength, 3)
        XCTAssertEqual(ev.blocks, 3)
        let c = try XCTUnwrap(ev.comparisons.first { $0.metric == "log_loss" && $0.baseline == "averaging" })
        // Per-row differences, block sums.
        let d = (0..<n).map { i -> Double in
            let y = rows.labels[i]
            return -log(ens[3 * i + y]) + log(base[3 * i + y])
        }
        let sums = [0, 1, 2].map { b in d[(3 * b)..<(3 * b + 3)].reduce(0, +) }
        var rng = SplitMix64(seed: 1)
        var stats: [Double] = []
        for _ in 0..<1000 {
            var s = 0.0
            for _ in 0..<3 { s += sums[Int(rng.next() % 3)] }
            stats.append(s / 9)
        }
        let mean = stats.reduce(0, +) / 1000
        let se = (stats.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 999).squareRoot()
        XCTAssertEqual(c.difference, d.reduce(0, +) / 9, accuracy: 1e-12)
        XCTAssertEqual(c.standardError, se, accuracy: 1e-12)
        XCTAssertGreaterThan(c.standardError, 0)
    }

    func testPrequentialBaselinesOnAHandBuiltCase() {
        // Labels 1, 1, 0, 0, 0, 2.
        let labels = [1, 1, 0, 0, 0, 2]
        let prior = PrequentialBaselines.classPrior(labels: labels)
        let third = 1.0 / 3
        let expectedPrior: [[Double]] = [[third, third, third],  // nothing seen
                                         [0, 1, 0],              // {1}
                                         [0, 1, 0],              // {1, 1}
                                         [third, 2 * third, 0],  // {1, 1, 0}
                                         [0.5, 0.5, 0],          // {1, 1, 0, 0}
                                         [0.6, 0.4, 0]]          // {1, 1, 0, 0, 0}
        for (i, row) in expectedPrior.enumerated() {
            for c in 0..<3 { XCTAssertEqual(prior[i, c], row[c], accuracy: 1e-15, "prior row \(i) class \(c)") }
        }
        let majority = PrequentialBaselines.alwaysMajority(labels: labels)
        // Majorities: none → 0; {1} → 1; {1,1} → 1; {1,1,0} → 1; {1,1,0,0} tie → 0; {…,0} → 0.
        XCTAssertEqual((0..<6).map { majority.row($0) }, [[1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 1, 0], [1, 0, 0], [1, 0, 0]])
        // Against labels 1, 1, 0, 0, 0, 2: hits on rows 1 and 4 only; the four misses cost −ln(1e-15) each.
        XCTAssertEqual(Metrics.logLoss(probabilities: majority, labels: labels), -4 * log(1e-15) / 6, accuracy: 1e-9)
        XCTAssertEqual(Metrics.accuracy(predicted: Metrics.predictedClasses(majority), actual: labels), 2.0 / 6)
    }

    func testJSONRoundTripsWithoutTimingAndFollowsTheSchema() throws {
        let report = BacktestReport(result: ReportFixtures.tiny(), source: "tiny")
        let data = try report.jsonData()
        var expected = report
        expected.timing = nil
        XCTAssertEqual(try BacktestReport.decode(data), expected)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertNil(object["timing"], "wall-clock timing would make backtest.json irreproducible")
        let schemaURL = ReportFixtures.repository.appendingPathComponent("schemas/backtest.schema.json")
        let schema = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: schemaURL)) as? [String: Any])
        let required = try XCTUnwrap(schema["required"] as? [String])
        let properties = try XCTUnwrap(schema["properties"] as? [String: Any])
        XCTAssertEqual(Set(required).subtracting(object.keys), [])
        XCTAssertEqual(Set(object.keys).subtracting(properties.keys), [], "keys the schema does not describe")
    }

    /// Replay of the reference data with no retraining: averaging and each base model over the
    /// labelled rows must score exactly what the CSV files give when joined here independently.
    func testReferenceDataReplayJoinsLabelsToTheirRows() throws {
        let folder = try ReportFixtures.oosDaily()
        let result = try ReportFixtures.replay(folder, horizons: [5, 20])
        // The whole replay as the window, so that every labelled row is scored.
        let report = BacktestReport(result: result, source: folder, window: .lastShare(1))
        for hr in report.horizons {
            let truth = try ReferenceTruth(folder: folder, horizon: hr.horizon)
            XCTAssertEqual(report.models, truth.models)
            XCTAssertEqual(hr.rows, truth.labels.count, "h=\(hr.horizon): every event is labelled once")
            XCTAssertTrue(hr.retrains.isEmpty)
            var cases: [(String, Matrix)] = [("averaging", truth.averaging)]
            for (j, m) in truth.models.enumerated() { cases.append((m, truth.model(j))) }
            for (name, p) in cases {
                let got = try XCTUnwrap(hr.method(named: name), name).metrics
                let pred = Metrics.predictedClasses(p)
                XCTAssertEqual(got.logLoss, Metrics.logLoss(probabilities: p, labels: truth.labels), accuracy: 1e-9, "h=\(hr.horizon) \(name)")
                XCTAssertEqual(got.accuracy, Metrics.accuracy(predicted: pred, actual: truth.labels), accuracy: 1e-12, "h=\(hr.horizon) \(name)")
                XCTAssertEqual(got.f1Macro, Metrics.macroF1(predicted: pred, actual: truth.labels), accuracy: 1e-12, "h=\(hr.horizon) \(name)")
            }
            // Without retraining the ensemble is averaging, output for output.
            XCTAssertEqual(hr.method(.ensemble)?.metrics.logLoss ?? .nan, hr.method(.averaging)?.metrics.logLoss ?? 0, accuracy: 1e-12)
        }
    }

    func testTwoReplaysGiveTheSameDigestAndByteIdenticalJSON() throws {
        let folder = try ReportFixtures.oosDaily()
        let a = try ReportFixtures.replay(folder, horizons: [10])
        let b = try ReportFixtures.replay(folder, horizons: [10])
        XCTAssertEqual(a.digest, b.digest)
        XCTAssertGreaterThan(a.digest.count, 0)
        let ja = try BacktestReport(result: a, source: folder).jsonData()
        let jb = try BacktestReport(result: b, source: folder).jsonData()
        XCTAssertEqual(ja, jb)
        // And through the files `stackd replay --report` writes.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("backtest-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try BacktestArtifacts(result: a, source: folder).write(to: dir.appendingPathComponent("1").path)
        let second = try BacktestArtifacts(result: b, source: folder).write(to: dir.appendingPathComponent("2").path)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: first.json)), try Data(contentsOf: URL(fileURLWithPath: second.json)))
    }

    func testReplaySourceRecognisesOOSDailyAndRefusesOthers() throws {
        let folder = try ReportFixtures.oosDaily()
        XCTAssertEqual(try ReplaySource.detect(folder), .oosDaily(directory: folder))
        XCTAssertThrowsError(try ReplaySource.detect(folder + "/bars.csv"))
        XCTAssertThrowsError(try ReplaySource.detect(folder + "/does-not-exist"))
    }
}

/// The reference rows computed straight from the CSV files, sharing nothing with the replay.
struct ReferenceTruth {
    var models: [String]
    var labels: [Int]
    /// N × M·K in model order.
    var base: [[Double]]

    init(folder: String, horizon: Int) throws {
        func lines(_ file: String) throws -> [[Substring]] {
            try String(contentsOfFile: "\(folder)/\(file)", encoding: .utf8)
                .split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        }
        var labelOf: [String: Int] = [:]
        for f in try lines("labels_h\(horizon).csv") { labelOf["\(f[0])|\(f[1])"] = Int(f[3])! + 1 }
        var probs: [String: [String: [Double]]] = [:]
        var modelSet = Set<String>()
        for f in try lines("preds_h\(horizon).csv") {
            modelSet.insert(String(f[3]))
            probs["\(f[0])|\(f[1])", default: [:]][String(f[3])] = [Double(f[4])!, Double(f[5])!, Double(f[6])!]
        }
        models = modelSet.sorted()
        labels = []
        base = []
        for key in probs.keys.sorted() {
            labels.append(labelOf[key]!)
            base.append(models.flatMap { probs[key]![$0]! })
        }
    }

    func model(_ j: Int) -> Matrix { Matrix(rowArrays: base.map { Array($0[3 * j ..< 3 * j + 3]) }) }

    var averaging: Matrix {
        Matrix(rowArrays: base.map { row in
            (0..<3).map { c in
                var s = 0.0
                for j in models.indices { s += row[3 * j + c] }
                return s / Double(models.count)
            }
        })
    }
}

/// Replay results for the report tests: a tiny hand-built one and replays of the reference data.
enum ReportFixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func day(_ d: Int64) -> Int64 { (18_262 + d) * 86_400_000_000_000 }   // 2020-01-01 + d

    /// The `../shared/data/oos-daily` folder beside the repository, or a skip.
    static func oosDaily() throws -> String {
        try SharedData.requireOOSDaily().path
    }

    /// `stackd replay`'s setup: the embedded demo configuration with the data's models and horizons,
    /// and no retraining.
    static func replay(_ folder: String, horizons: [Int]) throws -> ReplayRunner.Result {
        let loaded = try ReplaySource.oosDaily(directory: folder).load(horizons: horizons)
        var config = try ConfigurationLoader.parse(EmbeddedConfiguration.demo, source: "<demo>")
        config.pipeline.models = loaded.models
        config.pipeline.horizons = loaded.horizons
        var logger = Logger(label: "test")
        logger.logLevel = .error
        return try ReplayRunner(configuration: config, trainer: nil, logger: logger).run(events: loaded.events)
    }

    /// One horizon (5), two models, four labelled rows. Model a is right on every row; b only on r2.
    ///   labels  2, 0, 2, 1; forward returns 0.02, −0.02, 0.03, 0.001
    ///   a: [.2 .2 .6] [.5 .3 .2] [.1 .3 .6] [.2 .5 .3]
    ///   b: [.6 .2 .2] [.2 .2 .6] [.2 .2 .6] [.3 .3 .4]
    /// The ensemble published a's vectors, from model version 0 then 3 (from r2 on).
    static func tiny(models: [String] = ["a", "b"], reason: String = "nothing beat averaging") -> ReplayRunner.Result {
        let a: [[Double]] = [[0.2, 0.2, 0.6], [0.5, 0.3, 0.2], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3]]
        let b: [[Double]] = [[0.6, 0.2, 0.2], [0.2, 0.2, 0.6], [0.2, 0.2, 0.6], [0.3, 0.3, 0.4]]
        var rows = ReplayRunner.LabelledRows()
        rows.eventTimes = (0..<4).map { day(Int64($0)) }
        rows.labels = [2, 0, 2, 1]
        rows.forwardReturns = [0.02, -0.02, 0.03, 0.001]
        rows.ensemble = a.flatMap { $0 }
        rows.base = zip(a, b).flatMap { $0 + $1 }
        rows.modelVersions = [0, 0, 3, 3]
        var promote = TrainingSummary(TrainingResult(horizon: 5, horizonIndex: 0, requestSequence: 1, applyFrom: day(2), rows: 2,
                                                     decision: .promote, reason: "logistic beat averaging", combiner: nil))
        promote.version = 3
        let fallback = TrainingSummary(TrainingResult(horizon: 5, horizonIndex: 0, requestSequence: 2, applyFrom: day(3), rows: 3,
                                                      decision: .fallback, reason: reason, combiner: nil))
        var counters = PipelineCounters(horizonCount: 1)
        counters.rejected[RejectReason.allCases.firstIndex(of: .badSum)!] = 2
        return ReplayRunner.Result(digest: OutputDigest(), counters: counters, horizons: [5], modelNames: models,
                                   labelled: [rows], trainings: [promote, fallback], events: 12,
                                   ingestNanoseconds: 1_000_000_000, trainingNanoseconds: 500_000_000)
    }
}
