import Foundation
import StackdCore
import StackdJournal
import StackdTestSupport
import StackdZMQ
import XCTest

/// Parity by construction (`schemas/journal.md` §8): the real `stackd run` binary records its
/// input while a burst publisher outruns training (models arrive after their apply time), an
/// on-demand retrain (SIGUSR1) lands mid-stream, and the daemon restarts from its restored state;
/// `stackd replay` of the recording reproduces every session's outputs byte for byte.
final class ReplayParityLiveTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    /// `STACKD_PARITY_BINARY` runs another build (e.g. one without control records, to see these tests fail).
    static let binary = ProcessInfo.processInfo.environment["STACKD_PARITY_BINARY"].map { URL(fileURLWithPath: $0) }
        ?? Repository.stackdBinary
    var temporary: URL!
    var daemons: [ChildProcess] = []

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            XCTFail("\(Self.binary.path) is missing: build with `swift build --build-tests` first (scripts/test.sh does)")
            throw CancellationError()
        }
        temporary = FileManager.default.temporaryDirectory.appendingPathComponent("stackd-parity-live-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        for daemon in daemons { daemon.stop(signal: SIGKILL, timeout: 10) }
        daemons.removeAll()
        try? FileManager.default.removeItem(at: temporary)
    }

    var input: String { "ipc://\(temporary.path)/in.sock" }
    var output: String { "ipc://\(temporary.path)/out.sock" }
    var journal: String { "\(temporary.path)/journal" }

    /// Retrains every 150 labels on a window of up to 20 000 rows, every model installed
    /// (`promotion = "always"`): a fit takes far longer than the publisher needs for the next
    /// rows, so models arrive late.
    func writeConfig(name: String = "stackd.toml", learner: String = "") throws -> URL {
        let config = temporary.appendingPathComponent(name)
        try """
            [models]
            names = ["a", "b", "c"]
            [stream]
            horizons = [1]
            [input]
            bind = ["\(input)"]
            [output]
            bind = ["\(output)"]
            [assembly]
            deadline_ms = 1000
            [retrain]
            every_labels = 150
            min_rows = 150
            window_rows = 20000
            [learner]
            kind = "logistic"
            promotion = "always"
            \(learner)
            [state]
            directory = "\(temporary.path)/state"
            [record]
            directory = "\(journal)"
            [metrics]
            address = ""
            [log]
            level = "info"
            """.write(to: config, atomically: true, encoding: .utf8)
        return config
    }

    func start(config: URL) throws -> ChildProcess {
        let daemon = try ChildProcess(executable: Self.binary, arguments: ["run", "--config", config.path])
        daemons.append(daemon)
        XCTAssertNotNil(daemon.stderr.waitFor("stackd is running", timeout: 30), daemon.stderr.text)
        return daemon
    }

    /// Publishes a stream in which model a is informative, b is shifted by one class (a learner
    /// can undo it, averaging cannot) and c is noise, and counts the ensemble outputs.
    final class Peer {
        let context: ZMQContext
        let publisher: ZMQSocket
        let consumer: ZMQSocket
        let message = ZMQMessage()
        var rng: SplitMix64
        var outputs = 0
        var pendingLabel: (eventTime: Int64, truth: Int)?

        init(input: String, output: String, seed: UInt64) throws {
            rng = SplitMix64(seed: seed)
            context = try ZMQContext()
            publisher = try ZMQSocket.make(context: context, type: .xpub,
                                           settings: ZMQSocketSettings(lingerMilliseconds: 1000, sendHighWaterMark: 0))
            // A short receive timeout: `awaitOutputs` checks its deadline between receives.
            consumer = try ZMQSocket.make(context: context, type: .sub, settings: ZMQSocketSettings(
                lingerMilliseconds: 0, receiveHighWaterMark: 0, receiveTimeoutMilliseconds: 200, subscriptions: ["ens."]))
            try consumer.connect(output)
            try publisher.connect(input)
            guard try publisher.waitForSubscriber(timeoutMilliseconds: 10_000) != nil else { throw CancellationError() }
        }

        func uniform() -> Double { rng.uniform() }

        /// One event time: the three predictions, then the label of the previous event time.
        func sendStep(_ t: Int64) throws {
            let truth = min(2, Int(uniform() * 3))
            for m in ["a", "b", "c"] {
                var w = (0..<3).map { _ in uniform() * 0.3 + 0.05 }
                switch m {
                case "a": w[truth] += 0.8
                case "b": w[(truth + 1) % 3] += 0.8
                default: break
                }
                let p = w.map { $0 / w.reduce(0, +) }
                try publisher.send(topic: "pred.SPX.1.\(m)", payload: WireEncoder.binaryPrediction(
                    model: m, symbol: "SPX", horizon: 1, eventTime: t, sequence: 0, probabilities: p))
            }
            if let label = pendingLabel {
                try publisher.send(topic: "label.SPX.1", payload: WireEncoder.binaryLabel(
                    symbol: "SPX", horizon: 1, eventTime: label.eventTime, sequence: 0, classIndex: label.truth, classCount: 3,
                    forwardReturn: 0.001, exitTime: t))
            }
            pendingLabel = (t, truth)
        }

        /// Receives outputs until `count` have arrived in total; false after `timeout` seconds.
        func awaitOutputs(_ count: Int, timeout: TimeInterval = 60) throws -> Bool {
            let deadline = Date(timeIntervalSinceNow: timeout)
            while outputs < count && Date() < deadline {
                guard try consumer.receive(into: message) else { continue }
                if message.hasMore {
                    _ = try consumer.receive(into: message)
                    outputs += 1
                }
            }
            return outputs >= count
        }

        /// Sends single steps until one's output comes back: the consumer's subscription has arrived.
        func warmUp(from t: inout Int64) throws -> Bool {
            for _ in 0..<50 {
                t += 1
                try sendStep(t)
                if try awaitOutputs(outputs + 1, timeout: 0.5) { return true }
            }
            return false
        }

        func close() {
            publisher.close()
            consumer.close()
            context.terminate()
        }
    }

    /// Stops the daemon gracefully and returns its live output digest (`stackd stopped … digest=`).
    func stopAndReadDigest(_ daemon: ChildProcess) throws -> String {
        XCTAssertTrue(daemon.stop(signal: SIGTERM, timeout: 60), "graceful stop")
        XCTAssertEqual(daemon.process.terminationStatus, 0, daemon.stderr.text)
        let line = try XCTUnwrap(daemon.stderr.waitFor("stackd stopped", timeout: 5), daemon.stderr.text)
        return try XCTUnwrap(Self.value(of: "digest=", in: line), line)
    }

    static func value(of key: String, in line: String) -> String? {
        guard let range = line.range(of: key) else { return nil }
        return String(line[range.upperBound...].prefix { $0.isHexDigit })
    }

    /// `stackd replay JOURNAL --config FILE`: the whole replay's digest, the per-session digests and
    /// the control-record line.
    func replay(config: URL, expectParity: Bool = true) throws -> (digest: String, sessions: [String], control: String?) {
        let run = try CapturedProcess.run(Self.binary, ["replay", journal, "--config", config.path, "--quiet"], timeout: 300)
        XCTAssertFalse(run.timedOut)
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let sessions = lines.filter { $0.hasPrefix("session ") }.compactMap { Self.value(of: "digest ", in: $0) }
        let digest = try XCTUnwrap(lines.first { $0.hasPrefix("digest ") }.flatMap { Self.value(of: "digest ", in: $0) }, run.stdout)
        let control = lines.first { $0.hasPrefix("control records:") }
        for line in lines where expectParity && line.hasPrefix("parity mismatch") { XCTFail(line) }
        return (digest, sessions, control)
    }

    /// Streams `steps` event times from `t` in one burst (no waiting), with an optional on-demand
    /// retrain half-way; waits for every output and for a model installed late, then streams a
    /// second burst that the late model serves.
    func runSession(_ daemon: ChildProcess, peer: Peer, from t: inout Int64, steps: Int, signalRetrain: Bool) throws {
        XCTAssertTrue(try peer.warmUp(from: &t), "outputs never reached the consumer")
        let late = "model arrived after its apply time"
        // Late-install lines so far (each names its own model version).
        let seen = Set(daemon.stderr.text.split(separator: "\n").filter { $0.contains(late) })
        for (n, burst) in [steps, steps / 4].enumerated() {
            let before = peer.outputs
            for i in 0..<burst {
                t += 1
                try peer.sendStep(t)
                if signalRetrain && n == 0 && i == burst / 2 { kill(daemon.processIdentifier, SIGUSR1) }
            }
            XCTAssertTrue(try peer.awaitOutputs(before + burst), "every row was emitted (\(peer.outputs - before) of \(burst))")
            if n == 0 {
                // Before the second burst, so that the late model serves its rows. Whether a burst
                // outruns training depends on how the two threads are scheduled (on a loaded
                // machine training may keep up with one burst): up to four more bursts are sent
                // until a model arrives late.
                var lateLine = daemon.stderr.waitFor(timeout: 20) { $0.contains(late) && !seen.contains($0) }
                var extra = 0
                while lateLine == nil, extra < 4 {
                    extra += 1
                    let more = peer.outputs
                    for _ in 0..<burst { t += 1; try peer.sendStep(t) }
                    XCTAssertTrue(try peer.awaitOutputs(more + burst), "every row of the extra burst was emitted")
                    lateLine = daemon.stderr.waitFor(timeout: 20) { $0.contains(late) && !seen.contains($0) }
                }
                XCTAssertNotNil(lateLine, "the publisher outran training: a model was installed late\n\(daemon.stderr.text)")
            }
        }
    }

    func testReplayOfALiveRunWhoseModelsArriveLateEqualsTheLiveRun() throws {
        let config = try writeConfig()
        let daemon = try start(config: config)
        let peer = try Peer(input: input, output: output, seed: 11)
        var t: Int64 = 1_000
        try runSession(daemon, peer: peer, from: &t, steps: 3_000, signalRetrain: true)
        peer.close()
        let live = try stopAndReadDigest(daemon)
        XCTAssertTrue(daemon.stderr.text.contains("retrain finished"), "retrains ran live")

        XCTAssertTrue(daemon.stderr.text.contains("decision=promote"), "a learned model was promoted live")

        let replayed = try replay(config: config)
        XCTAssertEqual(replayed.digest, live, "the replay reproduces the live outputs byte for byte")
        XCTAssertEqual(replayed.sessions, [live])
        XCTAssertEqual(replayed.control.map { $0.hasSuffix(" 0 parity mismatches") }, true, replayed.control ?? "no control records")

        // The journal says where the on-demand retrain was taken and where a model arrived late.
        let controls = try JournalReader(directory: journal).readAll().filter(\.isControl)
            .map { try JournalControlRecord.decode(frames: $0.frames) }
        XCTAssertTrue(controls.contains { if case .retrainRequested(let r) = $0 { r.reason == "on_demand" } else { false } })
        XCTAssertTrue(controls.contains {
            if case .retrainFinished(let r) = $0 { !r.onTime && r.decision == "promote" && r.probeDigest != nil } else { false }
        }, "a promoted model was journalled as late")

        // A replay whose learner differs from the live one trains other models: reported, not silent.
        let other = try writeConfig(name: "other.toml", learner: "c = 0.01")
        let diverged = try replay(config: other, expectParity: false)
        XCTAssertNotEqual(diverged.digest, live)
        XCTAssertEqual(diverged.control.map { !$0.hasSuffix(" 0 parity mismatches") }, true, diverged.control ?? "no control records")
        // With --require-parity the same replay fails (after printing everything); the faithful one passes.
        let strict = try CapturedProcess.run(Self.binary, ["replay", journal, "--config", other.path, "--quiet", "--require-parity"], timeout: 300)
        XCTAssertEqual(strict.status, 1, strict.stdout + strict.stderr)
        XCTAssertTrue(strict.stderr.contains("parity mismatches with the live run (--require-parity)"), strict.stderr)
        XCTAssertTrue(strict.stdout.contains("parity mismatch: "), strict.stdout)
        let faithful = try CapturedProcess.run(Self.binary, ["replay", journal, "--config", config.path, "--quiet", "--require-parity"], timeout: 300)
        XCTAssertEqual(faithful.status, 0, faithful.stdout + faithful.stderr)
    }

    func testReplayOfARestartFromRestoredStateEqualsEachLiveSession() throws {
        let config = try writeConfig()
        var t: Int64 = 1_000
        var digests: [String] = []
        for session in 1...2 {
            let daemon = try start(config: config)
            if session == 2 {
                let restored = try XCTUnwrap(daemon.stderr.waitFor("restored the out-of-sample window"), daemon.stderr.text)
                XCTAssertFalse(restored.contains("rows=h1=0"), "the second session restored labelled rows: \(restored)")
                XCTAssertNotNil(daemon.stderr.waitFor("restored the served model", timeout: 5), "a model was restored")
            }
            let peer = try Peer(input: input, output: output, seed: UInt64(session) * 7)
            try runSession(daemon, peer: peer, from: &t, steps: session == 1 ? 3_000 : 1_000, signalRetrain: false)
            peer.close()
            digests.append(try stopAndReadDigest(daemon))
        }
        let replayed = try replay(config: config)
        XCTAssertEqual(replayed.sessions, digests, "each session's outputs are reproduced, the second from its restored state")
        XCTAssertEqual(replayed.control.map { $0.hasSuffix(" 0 parity mismatches") }, true, replayed.control ?? "no control records")
    }
}

extension ReplayParityLiveTests {
    /// After `kill -9` the journal loses its torn tail and the first session has no live digest,
    /// but the second session starts from what `[state]` kept, which its `session_started` record
    /// holds: its replay still equals it.
    func testReplayOfTheSessionAfterAKillNineEqualsIt() throws {
        let config = try writeConfig()
        var t: Int64 = 1_000
        let first = try start(config: config)
        let peer = try Peer(input: input, output: output, seed: 3)
        try runSession(first, peer: peer, from: &t, steps: 3_000, signalRetrain: false)
        peer.close()
        kill(first.processIdentifier, SIGKILL)
        XCTAssertTrue(first.waitForExit())

        let second = try start(config: config)
        let restored = try XCTUnwrap(second.stderr.waitFor("restored the out-of-sample window"), second.stderr.text)
        XCTAssertFalse(restored.contains("rows=h1=0"), "the second session restored labelled rows: \(restored)")
        let peer2 = try Peer(input: input, output: output, seed: 4)
        try runSession(second, peer: peer2, from: &t, steps: 1_000, signalRetrain: true)
        peer2.close()
        let live = try stopAndReadDigest(second)

        let replayed = try replay(config: config)
        XCTAssertEqual(replayed.sessions.count, 2, "two sessions")
        XCTAssertEqual(replayed.sessions.last, live, "the session after the crash is reproduced from its restored state")
        XCTAssertEqual(replayed.control.map { $0.hasSuffix(" 0 parity mismatches") }, true, replayed.control ?? "no control records")
    }
}
