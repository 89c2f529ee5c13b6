import Foundation
import StackdCore
import StackdTestSupport
import StackdZMQ
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The runtime's operator paths through the real binary: signals, a stop during a long retrain,
/// restarts with `[record]`, start-up refusals, counted drops and oversize frames.
final class OperatorPathTests: XCTestCase {
    var harness: OperatorHarness!

    override func setUpWithError() throws { harness = try OperatorHarness() }
    override func tearDown() { harness.cleanUp() }

    /// SIGPIPE, SIGUSR2 and SIGALRM (default: terminate at once) neither kill the daemon nor
    /// stop it; the ignored ones are logged; SIGTERM afterwards still drains and exits 0.
    func testSignalsThatWouldKillAreIgnoredAndStopStillDrains() throws {
        let daemon = try harness.start(config: try harness.writeConfiguration())
        let port = try harness.metricsPort(daemon)
        for signo in [SIGPIPE, SIGUSR2, SIGALRM] { kill(daemon.processIdentifier, signo) }
        XCTAssertNotNil(daemon.stderr.waitFor("signal=SIGUSR2"), daemon.stderr.text)
        XCTAssertNotNil(daemon.stderr.waitFor("signal=SIGALRM"), daemon.stderr.text)
        XCTAssertTrue(daemon.process.isRunning)
        XCTAssertEqual(try HTTPTestClient.get(port: port, path: "/readyz").status, 200, "still serving")
        XCTAssertTrue(daemon.stop(signal: SIGTERM, timeout: 20))
        XCTAssertEqual(daemon.process.terminationReason, .exit)
        XCTAssertEqual(daemon.process.terminationStatus, 0, daemon.stderr.text)
        XCTAssertNotNil(daemon.stderr.waitFor("stopped cleanly"))
    }

    /// SIGTERM while a retrain is fitting: the training thread is stopped and joined before the
    /// process exits, so the exit is 0 and never a crash (a thread left inside OpenBLAS or
    /// libxgboost crashed the exit before). Five times over, each with a fit taking seconds.
    func testStopDuringLongRetrainExitsCleanlyEveryTime() throws {
        let config = try harness.writeConfiguration("""
            [retrain]
            min_rows = 100000
            [learner]
            kind = "auto"
            features = "all"
            [features]
            skill_window = 20
            [state]
            directory = "\(harness.directory)/state"
            flush = "every_rows"
            flush_rows = 4096
            """, models: ["a", "b", "c"])
        // One run fills the durable window; each later run restores it and retrains on demand.
        let filler = try harness.start(config: config)
        let publisher = try BinaryPublisher(endpoint: harness.input, models: ["a", "b", "c"])
        var rng = SplitMix64(seed: 7)
        func next() -> Double { rng.uniform() }
        let rows = 30_000
        func vector() -> [Double] { let a = 0.2 + 0.3 * next(), b = 0.2 + 0.3 * next(); return [a, b, 1 - a - b] }
        for i in 0..<rows {
            try publisher.row(Int64(1_000 + i), probabilities: [vector(), vector(), vector()], label: Int(next() * 3))
        }
        let port = try harness.metricsPort(filler)
        XCTAssertNotNil(try OperatorHarness.waitForMetric(port: port, "stackd_labels_matched_total", timeout: 120) { $0 >= Double(rows) })
        publisher.close()
        XCTAssertTrue(filler.stop(signal: SIGTERM, timeout: 30))
        XCTAssertEqual(filler.process.terminationStatus, 0, filler.stderr.text)

        for round in 0..<5 {
            let daemon = try harness.start(config: config)
            kill(daemon.processIdentifier, SIGUSR1)
            XCTAssertNotNil(daemon.stderr.waitFor("retrain started", timeout: 30), "round \(round):\n\(daemon.stderr.text)")
            XCTAssertNil(daemon.stderr.waitFor("retrain finished", timeout: 0.5), "round \(round): the fit must still be running")
            XCTAssertTrue(daemon.stop(signal: SIGTERM, timeout: 30), "round \(round): exits in time")
            XCTAssertEqual(daemon.process.terminationReason, .exit, "round \(round): not killed by a signal\n\(daemon.stderr.text)")
            XCTAssertEqual(daemon.process.terminationStatus, 0, "round \(round):\n\(daemon.stderr.text)")
            XCTAssertNotNil(daemon.stderr.waitFor("stopped cleanly", timeout: 1), "round \(round)")
            XCTAssertNotNil(daemon.stderr.waitFor("retrain abandoned: stopping", timeout: 1),
                            "round \(round): the fit was cut short, not waited for:\n\(daemon.stderr.text)")
        }
    }

    /// A restart with the same `[record] directory` continues the journal (a second session in
    /// the manifest, listing the bound endpoint), and `stackd replay` reads both sessions.
    func testRestartContinuesTheJournalAndReplayReadsBothSessions() throws {
        let record = harness.directory + "/journal"
        let config = try harness.writeConfiguration("""
            [record]
            directory = "\(record)"
            """)
        var eventTime: Int64 = 1_000
        for session in 0..<2 {
            let daemon = try harness.start(config: config)
            let port = try harness.metricsPort(daemon)
            let publisher = try BinaryPublisher(endpoint: harness.input)
            for _ in 0..<10 {
                eventTime += 1
                try publisher.row(eventTime, probabilities: [0.2, 0.3, 0.5])
            }
            XCTAssertNotNil(try OperatorHarness.waitForMetric(port: port, "stackd_journal_messages_total") { $0 >= 20 },
                            "session \(session)")
            publisher.close()
            XCTAssertTrue(daemon.stop(signal: SIGTERM, timeout: 20))
            XCTAssertEqual(daemon.process.terminationStatus, 0, "session \(session) exits 0:\n\(daemon.stderr.text)")
        }
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: record + "/journal.json"))) as? [String: Any]
        XCTAssertEqual(manifest?["endpoints"] as? [String], [harness.input], "the manifest lists the bound endpoint")
        let runs = try XCTUnwrap(manifest?["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.count, 2)
        XCTAssertEqual(runs.map { $0["firstSequence"] as? Int }, [1, 23],
                       "per session: its session_started control record, 20 messages and a stop marker")
        XCTAssertEqual(runs.last?["endpoints"] as? [String], [harness.input])
        XCTAssertEqual(runs.last?["timeShiftNanoseconds"] as? Int, 0, "same boot: no shift")

        let replay = try CapturedProcess.run(OperatorHarness.binary, ["replay", record, "--config", config])
        XCTAssertEqual(replay.status, 0, replay.stderr)
        XCTAssertTrue(replay.stdout.contains("over 20 outputs"), replay.stdout)
    }

    /// Start-up failures exit with a documented code and name the key, the path or endpoint and
    /// the cause in words. What the configuration check sees without side effects (a missing ipc
    /// directory, a state or record directory that is a file) is refused before any socket opens,
    /// exit 78, one located line each; what only binding shows (a port another process holds) is
    /// refused by `run` with exit 78 and one sentence.
    func testStartupFailuresExitWithCodeAndOneSentence() throws {
        try harness.requireBinary()
        let file = harness.directory + "/plain-file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let cases: [(String, String?, [String])] = [
            ("missing-ipc.toml", "ipc://\(harness.directory)/no/such/dir/in.sock",
             ["missing-ipc.toml:7: input.bind:", "\(harness.directory)/no/such/dir", "does not exist"]),
            ("state-file.toml", nil, ["state-file.toml:15: state.directory:", file, "is not a directory"]),
            ("record-file.toml", nil, ["record-file.toml:15: record.directory:", file, "is not a directory"]),
        ]
        for (name, input, words) in cases {
            let extra = name.hasPrefix("state") ? "[state]\ndirectory = \"\(file)\"" : name.hasPrefix("record") ? "[record]\ndirectory = \"\(file)\"" : ""
            let config = try harness.writeConfiguration(extra, name: name, input: input)
            let run = try CapturedProcess.run(OperatorHarness.binary, ["run", "--config", config], timeout: 60)
            XCTAssertEqual(run.status, 78, "\(name):\n\(run.stderr)")
            let located = run.stderr.split(separator: "\n").filter { $0.hasPrefix(config + ":") }
            XCTAssertEqual(located.count, 1, "\(name): one located line:\n\(run.stderr)")
            for word in words { XCTAssertTrue(located.first?.contains(word) ?? false, "\(name): \(word) in \(located)") }
            XCTAssertFalse(run.stderr.contains("Domain"), "\(name): no raw Foundation error:\n\(run.stderr)")
            XCTAssertFalse(run.stderr.contains("restored the out-of-sample window"), "\(name): refused before opening state")
        }

        // Only binding shows that a port is taken.
        let holder = try Socket.listeningOnLoopback()
        defer { close(holder.descriptor) }
        let config = try harness.writeConfiguration(name: "port-taken.toml", input: "tcp://127.0.0.1:\(holder.port)")
        let run = try CapturedProcess.run(OperatorHarness.binary, ["run", "--config", config], timeout: 60)
        XCTAssertEqual(run.status, 78, run.stderr)
        let refusal = run.stderr.split(separator: "\n").filter { $0.hasPrefix("stackd: refusing to start") }
        XCTAssertEqual(refusal, ["stackd: refusing to start: input.bind: cannot bind tcp://127.0.0.1:\(holder.port): Address already in use (another process holds it)"], run.stderr)
    }
}

/// A TCP port held by this test process (bound and listening on 127.0.0.1, port chosen by the kernel).
enum Socket {
    static func listeningOnLoopback() throws -> (descriptor: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { close(fd); throw POSIXError(.EADDRINUSE) }
        return (fd, UInt16(bigEndian: address.sin_port))
    }
}
