import Foundation
import StackdTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Challenger promotion live, end to end: the real `stackd` binary with `learner.challengers` and
/// `learner.challenger_min_rows` = 60, a pyzmq peer (`Clients/challenger_promotion_publisher.py`)
/// whose model "a" is informative but shifted by one class, which a logistic meta-learner learns
/// and a blend cannot. Retrains are gated.
///
/// - A better challenger (logistic beside a blend champion) replaces the champion only at a
///   retrain after it has scored 60 live labelled rows: the retrain's log line says so, the
///   outputs switch to its method under a new `model_version`, and the metrics count a promotion.
/// - A worse challenger (blend beside the logistic champion the gate promoted on a larger window)
///   is scored on many more rows than that and never replaces it.
final class ChallengerPromotionLiveTests: DaemonProcessTestCase {
    override var temporaryPrefix: String { "stackd-challenger-promotion" }

    static let minRows = 60

    struct Summary: Decodable {
        var bars: Int, missing_outputs: Int
        var first_by_method: [String: Int], served_by_method: [String: Int], first_by_version: [String: Int]
    }

    struct Run {
        var summary: Summary
        var log: String
        var metrics: String
        func value(_ sample: String) -> Double? {
            metrics.split(separator: "\n").first { $0.hasPrefix(sample + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
        }
        /// The `retrain finished` log lines, in order.
        var retrains: [Substring] { log.split(separator: "\n").filter { $0.contains("retrain finished") } }
    }

    /// One daemon and one peer run: `models` (the first the shifted informative one), `bars` bars,
    /// a retrain every `every` labels from `minWindow` labelled rows on.
    func run(kind: String, challenger: String, name: String, models: [String], bars: Int, every: Int, minWindow: Int) throws -> Run {
        let binary = Repository.stackdBinary, python = Repository.python
        guard FileManager.default.isExecutableFile(atPath: binary.path), FileManager.default.isExecutableFile(atPath: python.path) else {
            throw XCTSkip("needs .build/debug/stackd (swift build --build-tests) and .venv (scripts/install-deps.sh)")
        }
        let dir = temporary.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let input = "ipc://\(dir.path)/in.sock", output = "ipc://\(dir.path)/out.sock"
        let config = dir.appendingPathComponent("stackd.toml")
        try """
            [models]
            names = [\(models.map { "\"\($0)\"" }.joined(separator: ", "))]
            [stream]
            horizons = [1]
            symbols = ["SPX"]
            [input]
            bind = ["\(input)"]
            [output]
            bind = ["\(output)"]
            [assembly]
            deadline_ms = 2000
            [retrain]
            every_labels = \(every)
            min_rows = \(minWindow)
            [learner]
            kind = "\(kind)"
            features = "basic"
            promotion = "gated"
            challengers = ["\(challenger)"]
            challenger_min_rows = \(Self.minRows)
            [monitoring]
            enabled = false
            [metrics]
            address = "127.0.0.1:0"
            """.write(to: config, atomically: true, encoding: .utf8)
        let (daemon, port) = try startDaemon(config: config, binary: binary)
        let peer = try CapturedProcess.run(
            python, [Repository.root.appendingPathComponent("Tests/StackdDaemonTests/Clients/challenger_promotion_publisher.py").path,
                     input, output, String(bars), String(port), models.joined(separator: ",")], timeout: 240)
        XCTAssertEqual(peer.status, 0, peer.stderr)
        XCTAssertFalse(peer.timedOut)
        let summary = try JSONDecoder().decode(Summary.self, from: Data(peer.stdout.utf8))
        // The endpoint serves the ingest loop's periodic snapshot: wait (bounded) for the last label.
        var metrics = ""
        let deadline = Date(timeIntervalSinceNow: 15)
        repeat {
            metrics = try HTTPTestClient.get(port: port, path: "/metrics").body
            if metrics.contains("stackd_labels_matched_total \(summary.bars)\n") { break }
            Thread.sleep(forTimeInterval: 0.05)
        } while Date() < deadline
        XCTAssertTrue(daemon.stop(signal: SIGTERM, timeout: 30))
        XCTAssertEqual(daemon.process.terminationStatus, 0, daemon.stderr.text.suffix(2000).description)
        return Run(summary: summary, log: daemon.stderr.text, metrics: metrics)
    }

    func testABetterChallengerIsPromotedOnlyAfterItsLiveRows() throws {
        let r = try run(kind: "blend", challenger: "logistic", name: "better", models: ["a", "b"], bars: 500, every: 100, minWindow: 100)
        let s = r.summary
        XCTAssertEqual(s.missing_outputs, 0)
        XCTAssertEqual(r.value("stackd_labels_matched_total"), Double(s.bars))
        let labels = "horizon=\"1\",challenger=\"logistic\""
        let scored = try XCTUnwrap(r.value("stackd_challenger_scored_rows_total{\(labels)}"), r.metrics)
        // The challenger was installed with the first retrain's result; every row from there on is scored.
        let installedAt = s.bars - Int(scored)
        XCTAssertGreaterThanOrEqual(installedAt, 100, "not before the first retrain (at the 100th label)")
        let promoted = try XCTUnwrap(s.first_by_method["logistic"], "the challenger's learner never served: \(s) \(r.retrains)")
        XCTAssertGreaterThanOrEqual(promoted - installedAt, Self.minRows,
                                    "served only after \(Self.minRows) live labelled rows scored (installed at bar \(installedAt), served from \(promoted))")
        XCTAssertEqual(s.served_by_method["logistic"], s.bars - promoted, "once promoted it keeps serving (it keeps beating the blend)")
        // A new model_version starts exactly where the challenger's method does.
        XCTAssertTrue(s.first_by_version.contains { Int($0.key)! >= 1 && $0.value == promoted }, "\(s.first_by_version)")
        // The log: the first retrain (no live rows yet) does not promote it; a later one does, on
        // exactly min_rows live rows, and says so.
        let why = "challenger logistic beat the champion over its last \(Self.minRows) live labelled rows"
        let retrains = r.retrains
        XCTAssertGreaterThanOrEqual(retrains.count, 2, r.log.suffix(3000).description)
        XCTAssertFalse(retrains[0].contains("challenger logistic beat"), String(retrains[0]))
        let promotion = try XCTUnwrap(retrains.first { $0.contains(why) }, retrains.joined(separator: "\n"))
        XCTAssertTrue(promotion.contains("decision=promote"), String(promotion))
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(r.value("stackd_retrains_total{decision=\"promote\"}")), 1)
        // Live, the challenger was far better than the champion it replaced.
        let own = try XCTUnwrap(r.value("stackd_challenger_log_loss{\(labels),window=\"all\"}"))
        let champion = try XCTUnwrap(r.value("stackd_challenger_champion_log_loss{\(labels),window=\"all\"}"))
        XCTAssertLessThan(own, champion)
    }

    func testAWorseChallengerIsNeverPromoted() throws {
        // Three models and over 1 000 meta-train rows, so the gate fits the logistic learner itself.
        let r = try run(kind: "logistic", challenger: "blend", name: "worse", models: ["a", "b", "c"], bars: 3_000, every: 700, minWindow: 1_300)
        let s = r.summary
        XCTAssertEqual(s.missing_outputs, 0)
        let labels = "horizon=\"1\",challenger=\"blend\""
        let scored = try XCTUnwrap(r.value("stackd_challenger_scored_rows_total{\(labels)}"), r.metrics)
        XCTAssertGreaterThanOrEqual(scored, Double(3 * Self.minRows), "it had its chance: scored on many live rows")
        let recent = try XCTUnwrap(r.value("stackd_challenger_log_loss{\(labels),window=\"recent\"}"))
        let championRecent = try XCTUnwrap(r.value("stackd_challenger_champion_log_loss{\(labels),window=\"recent\"}"))
        XCTAssertGreaterThan(recent, championRecent, "the blend is worse live")
        XCTAssertGreaterThanOrEqual(r.retrains.count, 2, "a retrain 700 labels after the challenger came, so with its live rows: \(r.log.suffix(3000))")
        XCTAssertFalse(r.log.contains("challenger blend beat"), r.retrains.joined(separator: "\n"))
        let learned = try XCTUnwrap(s.first_by_method["logistic"], "\(s)")
        XCTAssertEqual(s.served_by_method["logistic"], s.bars - learned, "the logistic champion serves from its first promotion to the end")
        XCTAssertNil(s.first_by_method["blend"])
    }
}
