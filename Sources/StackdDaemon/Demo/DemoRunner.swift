import Foundation
import Logging
import StackdClock
import StackdCore
import StackdSignals
import StackdZMQ

/// `stackd demo`: a daemon, a publisher of base-model predictions and labels, and a consumer
/// of ensemble outputs, all talking over real ZeroMQ sockets on loopback in one process.
package struct DemoRunner {
    /// Where the demo's messages come from.
    package enum Source: Sendable {
        /// The seeded generator: runs as long as asked.
        case builtIn(DemoStream)
        /// A recorded stream (an oos-daily folder): runs until the stream or the time ends.
        case recorded(OOSDailyStream.Loaded, name: String)
    }

    package var source: Source = .builtIn(DemoStream())
    package var seconds: Double
    package var rate: Int
    package var badEvery: Int
    package var output: (String) -> Void

    package init(seconds: Double = 10, rate: Int = 50_000, badEvery: Int = 997, output: @escaping (String) -> Void = { print($0) }) {
        self.seconds = seconds
        self.rate = rate
        self.badEvery = badEvery
        self.output = output
    }

    package func run(logger: Logger) throws -> RunnerSnapshot {
        var config = try ConfigurationLoader.parse(EmbeddedConfiguration.demo, source: "<embedded demo configuration>")
        // Ephemeral ports: the demo must run even where 5555/5556 are taken.
        config.input.bind = ["tcp://127.0.0.1:*"]
        config.output.bind = ["tcp://127.0.0.1:*"]
        var description = "built-in seeded stream of 4 symbols x 4 horizons x 4 models"
        if case .recorded(let loaded, let name) = source {
            config.pipeline.models = loaded.models
            config.pipeline.horizons = loaded.horizons
            description = "\(name): \(loaded.events.count) recorded events, \(loaded.symbols.count) symbols x \(loaded.horizons.count) horizons x \(loaded.models.count) models, labels at their exit time"
        }
        let runner = try LiveRunner(configuration: config, logger: logger)
        runner.start()
        defer {
            runner.requestStop()
            runner.waitUntilFinished(timeout: 10)
        }
        let context = try ZMQContext()
        defer { context.terminate() }
        // The consumer lives on its own thread (sockets belong to one thread).
        let consumed = ManagedCounter()
        let outputEndpoint = runner.outputEndpoints[0]
        let consumerThread = Thread {
            let settings = ZMQSocketSettings(lingerMilliseconds: 0, receiveTimeoutMilliseconds: 200, subscriptions: ["ens."])
            guard let consumer = try? ZMQSocket.make(context: context, type: .sub, settings: settings),
                  (try? consumer.connect(outputEndpoint)) != nil else { return }
            let message = ZMQMessage()
            while !consumed.isStopped {
                if (try? consumer.receive(into: message)) == true, !message.hasMore { consumed.increment() }
            }
            consumer.close()
            consumed.markFinished()
        }
        consumerThread.start()
        defer {
            consumed.stop()
            consumed.waitFinished()
        }
        let publisher = try ZMQSocket.make(context: context, type: .xpub,
                                           settings: ZMQSocketSettings(lingerMilliseconds: 0, sendHighWaterMark: 0))
        try publisher.connect(runner.inputEndpoints[0])
        // Wait for readiness instead of sleeping: the daemon's subscription reaches our XPUB,
        // and our consumer's subscription reaches the daemon's output.
        guard try publisher.waitForSubscriber(timeoutMilliseconds: 5000) != nil,
              runner.wait(timeout: 5, until: { $0.outputSubscriptions > 0 }) else {
            throw DemoError.notReady
        }
        output("stackd demo: \(description); \(rate) msg/s for at most \(Int(seconds)) s")
        output("daemon input \(runner.inputEndpoints[0]), output \(runner.outputEndpoints[0]); Ctrl-C stops")

        var generator: DemoStream? = nil
        var recorded: [StreamEvent] = []
        switch source {
        case .builtIn(let g): generator = g
        case .recorded(let loaded, _): recorded = loaded.events
        }
        var position = 0
        var sequences: [String: UInt64] = [:]
        let start = MonotonicClock.nanoseconds()
        let end = start + UInt64(seconds * 1e9)
        var sent = 0, step = 0, lastPrint = start
        var previous = runner.snapshot()
        let signals = SignalEvents()
        defer { signals.cancel() }
        produce: while true {
            let batch: ArraySlice<StreamEvent>
            if generator != nil {
                batch = ArraySlice(generator!.events(step: step))
            } else {
                guard position < recorded.count else { break produce }
                batch = recorded[position ..< min(position + 1024, recorded.count)]
                position += batch.count
            }
            for event in batch {
                sent += 1
                // One sequence per publisher (per model, and one for the label feed), as in schemas/wire.md.
                let publisherName: String
                if case .prediction(let model, _) = event.kind { publisherName = model } else { publisherName = "labels" }
                let sequence = (sequences[publisherName] ?? 0) + 1
                sequences[publisherName] = sequence
                try send(event, sequence: sequence, on: publisher)
                if badEvery > 0, sent % badEvery == 0 { try sendBad(sent, on: publisher) }
                // Pace: stay on the rate line, checking the clock only every 64 messages.
                if sent % 64 == 0 {
                    while true {
                        let now = MonotonicClock.nanoseconds()
                        if signals.stopRequested || now >= end { break produce }
                        if now - lastPrint >= 1_000_000_000 {
                            let snap = runner.snapshot()
                            output(Self.progressLine(snap, previous: previous, seconds: Double(now - lastPrint) / 1e9, consumed: consumed.value))
                            previous = snap
                            lastPrint = now
                        }
                        let due = start + UInt64(Double(sent) / Double(rate) * 1e9)
                        if now >= due { break }
                        usleep(UInt32(min(1000, (due - now) / 1000)))
                    }
                }
            }
            step += 1
        }
        publisher.close()
        _ = runner.wait(timeout: 2, until: { $0.messagesReceived >= sent + sent / max(badEvery, 1) })
        runner.requestStop()
        runner.waitUntilFinished(timeout: 10)
        consumed.stop()
        consumed.waitFinished()
        let final = runner.snapshot()
        output(Self.finalSummary(final, sent: sent, consumed: consumed.value))
        return final
    }

    private func send(_ event: StreamEvent, sequence: UInt64, on socket: ZMQSocket) throws {
        switch event.kind {
        case .prediction(let model, let p):
            let topic = Topic.prediction(symbol: event.symbol, horizon: event.horizon, model: model)
            try socket.send(topic: topic, payload: WireEncoder.binaryPrediction(
                model: model, symbol: event.symbol, horizon: event.horizon, eventTime: event.eventTime,
                sequence: sequence, probabilities: p))
        case .label(let c, let r, let exit):
            let topic = Topic.label(symbol: event.symbol, horizon: event.horizon)
            try socket.send(topic: topic, payload: Array(WireEncoder.jsonLabel(
                symbol: event.symbol, horizon: event.horizon, eventTime: event.eventTime, sequence: sequence,
                classIndex: c, forwardReturn: r, exitTime: exit).utf8))
        case .regime(let values):
            try socket.send(topic: Topic.regime(symbol: event.symbol), payload: WireEncoder.binaryRegime(
                symbol: event.symbol, eventTime: event.eventTime, sequence: sequence, values: values))
        }
    }

    /// A rotating set of bad messages, so the summary shows rejects being counted by reason.
    private func sendBad(_ n: Int, on socket: ZMQSocket) throws {
        let bad: [(String, String)] = [
            ("pred.SPX.5.lgbm", #"{"v":1,"type":"prediction","model":"lgbm","symbol":"SPX","horizon":5,"ts":1,"probs":[NaN,0.5,0.5]}"#),
            ("pred.SPX.5.rnn", #"{"v":1,"type":"prediction","model":"rnn","symbol":"SPX","horizon":5,"ts":1,"probs":[0.2,0.3,0.5]}"#),
            ("pred.SPX.5.lgbm", #"{"v":1,"type":"prediction","model":"lgbm","symbol":"SPX","horizon":5,"ts":1,"probs":[0.2,0.3,0.3]}"#),
            ("pred.SPX.7.lgbm", #"{"v":1,"type":"prediction","model":"lgbm","symbol":"SPX","horizon":7,"ts":1,"probs":[0.2,0.3,0.5]}"#),
            ("pred.SPX.5.lgbm", "garbage"),
        ]
        let (topic, payload) = bad[(n / max(badEvery, 1)) % bad.count]
        try socket.send(topic: topic, payload: Array(payload.utf8))
    }

    static func progressLine(_ s: RunnerSnapshot, previous: RunnerSnapshot, seconds: Double, consumed: Int) -> String {
        let inRate = Double(s.messagesReceived - previous.messagesReceived) / seconds
        let outRate = Double(s.published - previous.published) / seconds
        return String(format: "in %8.0f msg/s  out %7.0f rows/s  latency p50 %6.1f us p99 %7.1f us  rejected %d  pending %d  labelled %d",
                      inRate, outRate, Double(s.latencyP50Nanoseconds) / 1e3, Double(s.latencyP99Nanoseconds) / 1e3,
                      s.counters.totalRejected, s.pendingRows, s.counters.labelsMatched)
    }

    /// The closing table: averaging against each base model, on the labels seen so far.
    static func finalSummary(_ s: RunnerSnapshot, sent: Int, consumed: Int) -> String {
        var lines: [String] = []
        lines.append("")
        lines.append("sent \(sent) messages; daemon received \(s.messagesReceived), emitted \(s.counters.totalEmitted) rows, published \(s.published), consumer got \(consumed)")
        lines.append(String(format: "emission latency p50 %.1f us, p99 %.1f us, max %.1f us",
                            Double(s.latencyP50Nanoseconds) / 1e3, Double(s.latencyP99Nanoseconds) / 1e3, Double(s.latencyMaxNanoseconds) / 1e3))
        let rejects = zip(RejectReason.allCases, s.counters.rejected).filter { $0.1 > 0 }
        lines.append("rejected: " + (rejects.isEmpty ? "none" : rejects.map { "\($0.0.rawValue) \($0.1)" }.joined(separator: ", ")))
        lines.append("prequential log-loss on \(s.counters.labelsMatched) labelled rows (lower is better; the ensemble is averaging until a retrain promotes a model):")
        // The class prior (from labels known when each row was emitted) is the no-skill baseline
        // every figure stands beside.
        var header = "  horizon   ensemble  averaging  prior"
        for m in s.modelNames { header += String(m.prefix(9)).leftPaddedSpaces(10) }
        lines.append(header + "   ensemble vs prior")
        for (h, horizon) in s.horizons.enumerated() where h < s.averageScores.count {
            let prior = h < s.classPriorScores.count ? s.classPriorScores[h].logLoss : .nan
            var line = String(format: "  %7d  %9.4f  %9.4f %6.4f", horizon, s.ensembleScores[h].logLoss, s.averageScores[h].logLoss, prior)
            for m in s.modelScores[h] { line += String(format: "%10.4f", m.logLoss) }
            line += String(format: "   %+.4f", s.ensembleScores[h].logLoss - prior)
            lines.append(line)
        }
        if !s.trainingResults.isEmpty {
            lines.append("retrains: \(s.trainingResultsTotal); the latest per horizon:")
            for (i, h) in s.horizons.enumerated() {
                guard let t = s.trainingResults.last(where: { $0.horizon == h }) else { continue }
                // A kept champion's result carries no model (version 0): name the one still served.
                let version = t.decision == .keep && i < s.activeModelVersions.count ? s.activeModelVersions[i] : t.version
                lines.append("  h\(h): \(t.decision.rawValue) (v\(version), \(t.rows) rows): \(t.reason)")
            }
        }
        return lines.joined(separator: "\n")
    }
}

enum DemoError: Error, CustomStringConvertible {
    case notReady
    var description: String { "the demo's sockets did not become ready within 5 s" }
}

/// A counter shared between the demo's threads.
final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var stopped = false
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
    private let done = DispatchSemaphore(value: 0)
    func stop() { lock.lock(); stopped = true; lock.unlock() }
    var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }
    private var finished = false
    func markFinished() { done.signal() }
    /// Waits (at most 5 s) for the consumer thread to close its socket; idempotent.
    func waitFinished() {
        lock.lock()
        let already = finished
        finished = true
        lock.unlock()
        if !already { _ = done.wait(timeout: .now() + 5) }
    }
}

extension String {
    func leftPaddedSpaces(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
