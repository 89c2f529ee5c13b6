import Foundation
import Logging
import StackdCore
@testable import StackdDaemon
import StackdLearning
@testable import StackdReplay
@testable import StackdReport
import StackdTestSupport
import XCTest

/// `models.classes` other than 3 through replay (with retrains) and the backtest report: every
/// matrix has K columns, and the averaging baseline's log-loss equals the one computed here from
/// the stream itself.
final class ClassCountReplayTests: XCTestCase {
    func testTwoClassesReplayAndReport() throws { try check(classes: 2) }

    func testFiveClassesReplayAndReport() throws { try check(classes: 5) }

    /// One labelled row as the stream defines it: its label and each model's vector.
    struct Row { var eventTime: Int64; var label: Int; var vectors: [[Double]] }

    private func check(classes k: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let (config, events, rows) = try Self.stream(classes: k)
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let trainer = try XCTUnwrap(DaemonTrainer.make(configuration: config), file: file, line: line)
        let result = try ReplayRunner(configuration: config, trainer: trainer, logger: logger).run(events: events)

        // Replay: every label joined its row, every output has K probabilities.
        let labelled = try XCTUnwrap(result.labelled.first, file: file, line: line)
        XCTAssertEqual(labelled.labels.count, rows.count, "every label joined its row", file: file, line: line)
        XCTAssertEqual(labelled.ensemble.count, rows.count * k, file: file, line: line)
        XCTAssertEqual(labelled.base.count, rows.count * 3 * k, file: file, line: line)
        XCTAssertEqual(result.counters.totalRejected, 0, "no message refused: \(result.counters.rejected)", file: file, line: line)
        XCTAssertFalse(result.trainings.isEmpty, "retrains ran", file: file, line: line)
        XCTAssertTrue(result.trainings.allSatisfy { !$0.reason.isEmpty }, file: file, line: line)

        // The report's matrices.
        let matrices = LabelledMatrices.all(result)
        XCTAssertEqual(matrices.first?.ensemble.cols, k, file: file, line: line)
        XCTAssertEqual(matrices.first?.model(2).cols, k, file: file, line: line)

        // The report over every row: averaging's log-loss from the stream's own vectors.
        let artifacts = BacktestArtifacts(result: result, source: "synthetic", window: .lastShare(1))
        let h = try XCTUnwrap(artifacts.report.horizons.first, file: file, line: line)
        XCTAssertEqual(h.rows, rows.count, file: file, line: line)
        var expected = 0.0
        for r in rows {
            let p = (0..<3).reduce(0.0) { $0 + r.vectors[$1][r.label] } / 3
            expected -= log(max(p, 1e-15))
        }
        expected /= Double(rows.count)
        let averaging = try XCTUnwrap(h.method(.averaging), file: file, line: line)
        XCTAssertEqual(averaging.metrics.logLoss, expected, accuracy: 1e-9, file: file, line: line)
        // Model a puts 0.6 on the true class on every row: accuracy 1, log-loss −ln 0.6.
        let a = try XCTUnwrap(h.method(named: "a"), file: file, line: line)
        XCTAssertEqual(a.metrics.accuracy, 1, file: file, line: line)
        XCTAssertEqual(a.metrics.logLoss, -log(0.6), accuracy: 1e-12, file: file, line: line)
        // Class prior with K classes: the first row knows nothing, so 1/K on its label.
        XCTAssertNotNil(h.method(.classPrior), file: file, line: line)
        XCTAssertTrue(artifacts.html.contains("<svg"), "the page renders its charts", file: file, line: line)
        _ = try artifacts.report.jsonData()

        // The outputs file has K ensemble columns and K per model.
        let outputs = ReplayOutputsFile.render(result)
        let header = outputs.split(separator: "\n")[1].split(separator: ",").map(String.init)
        XCTAssertEqual(header.filter { $0.hasPrefix("ensemble_") }, (0..<k).map { "ensemble_\($0)" }, file: file, line: line)
        XCTAssertEqual(header.filter { $0.hasPrefix("base_2_") }, (0..<k).map { "base_2_\($0)" }, file: file, line: line)
        XCTAssertEqual(outputs.split(separator: "\n").count, 2 + rows.count, file: file, line: line)
    }

    /// Three models (a, b, c), one symbol, horizon 5, K classes, 700 event times 10 ms apart. The
    /// label of event t is t·7 mod K; model a puts 0.6 on it (the rest spread evenly); b and c are
    /// seeded noise. Each label arrives 5 event times later.
    static func stream(classes k: Int) throws -> (DaemonConfiguration, [StreamEvent], [Row]) {
        let toml = """
        [models]
        names = ["a", "b", "c"]
        classes = \(k)
        [stream]
        horizons = [5]
        [input]
        bind = ["inproc://class-count-in"]
        [output]
        bind = ["inproc://class-count-out"]
        [retrain]
        every_event_times = 200
        min_rows = 150
        window_rows = 1000
        [learner]
        kind = "logistic"
        """
        let config = try ConfigurationLoader.parse(toml, source: "<class-count>")
        var rng = SplitMix64(seed: 5)
        func uniform() -> Double { rng.uniform() }
        let step: Int64 = 10_000_000, base: Int64 = 1_700_000_000_000_000_000
        var events: [StreamEvent] = [], rows: [Row] = []
        var byTime: [Int64: Row] = [:]
        for t in 1...700 {
            let time = base + Int64(t) * step
            let label = (t * 7) % k
            var informative = [Double](repeating: 0.4 / Double(k - 1), count: k)
            informative[label] = 0.6
            var vectors = [informative]
            for _ in 0..<2 {
                let w = (0..<k).map { _ in uniform() + 0.05 }
                vectors.append(w.map { $0 / w.reduce(0, +) })
            }
            for (m, v) in zip(["a", "b", "c"], vectors) {
                events.append(StreamEvent(symbol: "SPX", horizon: 5, eventTime: time, kind: .prediction(model: m, probabilities: v)))
            }
            byTime[time] = Row(eventTime: time, label: label, vectors: vectors)
            if t > 5 {
                let labelled = time - 5 * step
                let row = try XCTUnwrap(byTime[labelled])
                events.append(StreamEvent(symbol: "SPX", horizon: 5, eventTime: labelled,
                                          kind: .label(classIndex: row.label, forwardReturn: row.label == k - 1 ? 0.01 : -0.01,
                                                       exitTime: time)))
                rows.append(row)
            }
        }
        return (config, events, rows)
    }
}
