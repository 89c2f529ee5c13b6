import Foundation
import StackdTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Challengers live, end to end: the real `stackd` binary with `learner.challengers`, a pyzmq peer
/// (`Clients/challenger_publisher.py`) publishing predictions and, once each bar's output is out,
/// its label. The daemon retrains on its worker thread (promotion "always": every retrain serves
/// a logistic model); the challengers come with each retrain and are installed with the served
/// model. The metrics must then show each challenger scored on exactly the rows the learned
/// models emitted, beside the served ensemble's log-loss on those rows — which the peer computes
/// independently from the outputs it received — and nothing but ensemble outputs is published.
/// The daemon journals its input; `stackd replay JOURNAL --report` must then find the very same
/// challenger scores (the challengers come from the same, journalled retrains).
final class ChallengerLiveTests: DaemonProcessTestCase {
    override var temporaryPrefix: String { "stackd-challenger" }

    func testChallengerScoresAreExportedBesideTheChampionsOnTheSameRows() throws {
        let binary = Repository.stackdBinary
        let python = Repository.python
        guard FileManager.default.isExecutableFile(atPath: binary.path), FileManager.default.isExecutableFile(atPath: python.path) else {
            XCTFail("needs .build/debug/stackd (swift build --build-tests) and .venv (scripts/install-deps.sh)")
            return
        }
        let input = "ipc://\(temporary.path)/in.sock", output = "ipc://\(temporary.path)/out.sock"
        let config = temporary.appendingPathComponent("stackd.toml")
        try """
            [models]
            names = ["a", "b"]
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
            every_labels = 100
            min_rows = 100
            [learner]
            kind = "logistic"
            features = "basic"
            promotion = "always"
            challengers = ["blend", "xgboost"]
            challenger_min_rows = 50
            [monitoring]
            enabled = false
            [record]
            directory = "\(temporary.path)/journal"
            [metrics]
            address = "127.0.0.1:0"
            """.write(to: config, atomically: true, encoding: .utf8)
        let (daemon, port) = try startDaemon(config: config, binary: binary)

        let peer = try CapturedProcess.run(
            python, [Repository.root.appendingPathComponent("Tests/StackdDaemonTests/Clients/challenger_publisher.py").path,
                     input, output, "400", String(port)], timeout: 180)
        XCTAssertEqual(peer.status, 0, peer.stderr)
        XCTAssertFalse(peer.timedOut)
        struct Summary: Decodable {
            var bars: Int, missing_outputs: Int, methods: [String], topics: [String], learned_rows: Int
            var learned_log_loss: Double?
        }
        let summary = try JSONDecoder().decode(Summary.self, from: Data(peer.stdout.utf8))
        XCTAssertEqual(summary.missing_outputs, 0)
        XCTAssertEqual(summary.topics, ["ens"], "challengers are never published")
        XCTAssertEqual(Set(summary.methods), ["average", "logistic"], "only the champion is served")
        XCTAssertGreaterThan(summary.learned_rows, 100, "the first retrain's model served: \(daemon.stderr.text.suffix(3000))")
        let championLoss = try XCTUnwrap(summary.learned_log_loss)

        // The endpoint serves the ingest loop's periodic snapshot: wait (bounded) for the last label.
        var metrics = ""
        let deadline = Date(timeIntervalSinceNow: 15)
        repeat {
            metrics = try HTTPTestClient.get(port: port, path: "/metrics").body
            if metrics.contains("stackd_labels_matched_total \(summary.bars)\n") { break }
            Thread.sleep(forTimeInterval: 0.05)
        } while Date() < deadline
        func value(_ sample: String) -> Double? {
            metrics.split(separator: "\n").first { $0.hasPrefix(sample + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
        }
        XCTAssertEqual(value("stackd_labels_matched_total"), Double(summary.bars))
        var live: [String: Double] = [:]
        for challenger in ["blend", "xgboost"] {
            let labels = "horizon=\"1\",challenger=\"\(challenger)\""
            XCTAssertEqual(value("stackd_challenger_scored_rows_total{\(labels)}"), Double(summary.learned_rows),
                           "scored on exactly the rows emitted once the first retrain's models applied")
            let champion = try XCTUnwrap(value("stackd_challenger_champion_log_loss{\(labels),window=\"all\"}"), metrics)
            XCTAssertEqual(champion, championLoss, accuracy: 1e-9, "the served ensemble's log-loss on the same rows, as the peer saw it")
            let own = try XCTUnwrap(value("stackd_challenger_log_loss{\(labels),window=\"all\"}"))
            XCTAssertTrue(own.isFinite && own > 0 && own < 3, "\(challenger): \(own)")
            live[challenger] = own
            XCTAssertNotNil(value("stackd_challenger_log_loss{\(labels),window=\"recent\"}"))
            XCTAssertNotNil(value("stackd_challenger_champion_log_loss{\(labels),window=\"recent\"}"))
        }
        XCTAssertTrue(daemon.stop(signal: SIGTERM, timeout: 30))
        XCTAssertEqual(daemon.process.terminationStatus, 0, daemon.stderr.text.suffix(2000).description)

        // Replay of the journal, every row in the evaluation window: the same challengers, scored
        // on the same rows, give the same log-loss.
        let reportDirectory = temporary.appendingPathComponent("report")
        let replay = try CapturedProcess.run(binary, ["replay", temporary.appendingPathComponent("journal").path, "--config", config.path,
                                                      "--report", reportDirectory.path, "--evaluation-fraction", "1", "--quiet"],
                                             timeout: 300)
        XCTAssertEqual(replay.status, 0, replay.stdout + replay.stderr)
        XCTAssertTrue(replay.stdout.contains(" applied, 0 parity mismatches"), replay.stdout)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: reportDirectory.appendingPathComponent("backtest.json")))
        let horizon = try XCTUnwrap(((json as? [String: Any])?["horizons"] as? [[String: Any]])?.first)
        let replayed = try XCTUnwrap(horizon["challengers"] as? [[String: Any]])
        XCTAssertEqual(replayed.compactMap { $0["name"] as? String }, ["blend", "xgboost"])
        for c in replayed {
            let name = try XCTUnwrap(c["name"] as? String)
            XCTAssertEqual(c["rows"] as? Int, summary.learned_rows, name)
            let loss = try XCTUnwrap((c["metrics"] as? [String: Any])?["logLoss"] as? Double, name)
            XCTAssertEqual(loss, try XCTUnwrap(live[name]), accuracy: 1e-9, "\(name): replay reproduces the live challenger")
        }
    }
}
