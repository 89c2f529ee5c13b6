import ArgumentParser
import Foundation
import Logging
import StackdCore
import StackdDaemon
import StackdJournal
import StackdLearning
import StackdReplay
import StackdReport
import StackdZMQ

/// `stackd replay`: the live pipeline, fed in event time from a recording, then the backtest.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a recorded stream through the pipeline and report whether stacking beat averaging.",
        discussion: "SOURCE is a journal folder recorded by `stackd run` ([record] directory) or `stackd record`, replayed message by message at the recorded receive times (with the journal's control records applied where the live daemon applied them: restarts with their restored state, on-demand retrains, models installed; one digest per session is printed), or a folder in the oos-daily format (labels delivered at their exit time). Without --config the embedded demo configuration is used, with the models and horizons of the data. Prints the output digest, counts, rates and a per-horizon verdict on the held-out evaluation window (the ensemble against averaging, the best single model, the class prior, always majority and always long, with block-bootstrap standard errors); with --report DIR also writes DIR/backtest.json and DIR/report.html, with --outputs FILE every labelled row (scripts/verify_backtest.py recomputes the verdict from it). With --publish ENDPOINT every ensemble output is also published there exactly as `stackd run` publishes it (topic ens.<symbol>.<horizon>, the configuration's encoding or --encoding, latency_ns 0), paced by --speed in driver time so consumers can be tested against a recording; outputs and digest are unchanged. With --curve-secret-key and --client-keys the publishing socket is a CURVE server admitting only those consumers; binding a non-loopback tcp endpoint without CURVE needs --allow-plaintext-remote.")

    @Argument(help: "A journal folder (recorded by `stackd run` or `stackd record`) or a folder in the oos-daily format.")
    var source: String

    @Option(name: .shortAndLong, help: "TOML configuration (default: the embedded demo configuration, models and horizons from the data).")
    var config: String?

    @Option(help: "Folder to write backtest.json and report.html into (created if needed).")
    var report: String?

    @Option(help: ArgumentHelp("Also write every labelled row with the ensemble's and each base model's probabilities to FILE (format: schemas/replay-outputs.md), from which scripts/verify_backtest.py recomputes the verdict.", valueName: "file"))
    var outputs: String?

    @Option(help: ArgumentHelp("Evaluation window: the last FRACTION of labelled event time (default 0.2); the rows before it are the warm-up, shown but not scored.", valueName: "fraction"))
    var evaluationFraction: Double?

    @Option(help: ArgumentHelp("Evaluation window: rows with event time on or after this UTC date (YYYY-MM-DD).", valueName: "date"))
    var evaluationFrom: String?

    @Flag(help: "No progress line on a terminal.")
    var quiet = false

    @Option(parsing: .upToNextOption, help: "Horizons to replay, e.g. --horizons 5 10 or --horizons 5,10 (default: the configuration's, or all in the data).")
    var horizons: [String] = []

    @Option(help: ArgumentHelp("Also publish every ensemble output on an XPUB socket bound here, as `stackd run` would (e.g. tcp://127.0.0.1:5560).", valueName: "endpoint"))
    var publish: String?

    @Option(help: ArgumentHelp("With --publish: replay speed, wall time = recorded time ÷ FACTOR. A number is a multiple of real time (1 = real time, 0 or absent = as fast as possible); a ratio of durations RECORDED/WALL reads naturally for daily data: 1d/1s (a trading day per second, = 86400), 1d/10ms (= 8640000), 1h/1s. Units ns us ms s m h d.", valueName: "factor"))
    var speed: String?

    @Option(help: ArgumentHelp("With --publish: payload encoding, binary or json (default: the configuration's output.encoding).", valueName: "encoding"))
    var encoding: PayloadEncoding?

    @Option(help: ArgumentHelp("With --publish: before replaying, wait until N subscriptions have reached the socket (a consumer subscribing to two prefixes counts twice), so no consumer misses the beginning.", valueName: "n"))
    var waitForSubscribers: Int = 0

    @Option(help: ArgumentHelp("With --publish: CURVE, with this secret key file (`stackd keygen`); consumers must be in --client-keys.", valueName: "file"))
    var curveSecretKey: String?

    @Option(help: ArgumentHelp("With --curve-secret-key: directory of the public key files (*.key) of the consumers allowed to connect.", valueName: "dir"))
    var clientKeys: String?

    @Flag(help: "With --publish: bind a non-loopback tcp endpoint without CURVE.")
    var allowPlaintextRemote = false

    @Flag(help: "For a journal: exit 1 (after printing and writing everything) when the replay could not reproduce a control record of the live run (a parity mismatch), so a backtest built on a diverged replay fails its script.")
    var requireParity = false

    func validate() throws {
        if publish == nil {
            if speed != nil { throw ValidationError("--speed paces publishing: it needs --publish") }
            if encoding != nil { throw ValidationError("--encoding needs --publish") }
            if waitForSubscribers != 0 { throw ValidationError("--wait-for-subscribers needs --publish") }
        }
        if waitForSubscribers < 0 { throw ValidationError("--wait-for-subscribers: must be 0 or more") }
        if publish == nil, curveSecretKey != nil || allowPlaintextRemote { throw ValidationError("--curve-secret-key and --allow-plaintext-remote need --publish") }
        if (curveSecretKey == nil) != (clientKeys == nil) { throw ValidationError("--curve-secret-key and --client-keys go together") }
        if let publish {
            do {
                try PlaintextExposure.check(bound: [publish], curve: curveSecretKey != nil, allowed: allowPlaintextRemote,
                                            hint: "give --curve-secret-key and --client-keys")
            } catch { throw ValidationError("--publish: \(error)") }
        }
        if let speed { _ = try ReplaySpeed.parse(speed) }
        _ = try evaluationWindow()
    }

    /// The held-out window of the verdict, from --evaluation-fraction or --evaluation-from.
    func evaluationWindow() throws -> EvaluationWindow {
        switch (evaluationFraction, evaluationFrom) {
        case (.some, .some): throw ValidationError("give --evaluation-fraction or --evaluation-from, not both")
        case (.some(let f), nil):
            guard f.isFinite, f > 0, f <= 1 else { throw ValidationError("--evaluation-fraction: must be in (0, 1], got \(f)") }
            return .lastShare(f)
        case (nil, .some(let d)):
            guard let t = CivilDate.epochNanoseconds(d) else { throw ValidationError("--evaluation-from: \"\(d)\" is not a date YYYY-MM-DD") }
            return .from(t)
        case (nil, nil): return .standard
        }
    }

    func run() throws {
        let requested = try horizons.flatMap { $0.split(separator: ",") }.map { token -> Int in
            guard let h = Int(token.trimmingCharacters(in: .whitespaces)), h > 0 else {
                throw ValidationError("--horizons: \"\(token)\" is not a positive integer")
            }
            return h
        }
        var configuration: DaemonConfiguration
        let fromFile = config != nil
        do {
            // Replay binds none of the configured endpoints and keeps no state: no host checks.
            configuration = try config.map { try ConfigurationLoader.load(path: $0, checkHost: false) }
                ?? ConfigurationLoader.parse(EmbeddedConfiguration.demo, source: "<embedded demo configuration>")
        } catch let error as ConfigurationFileError {
            FileHandle.standardError.write(Data("stackd: the configuration has errors:\n\(error.description)\n".utf8))
            throw ExitCode(78)
        }
        let kind = try ReplaySource.detect(source)
        if case .journal(let directory) = kind {
            // A journal holds wire messages: the configuration (models, horizons) must be the run's.
            let logger = bootstrapLogging(level: fromFile ? configuration.logLevel.rawValue : "warning")
            let reader = try JournalReader(directory: directory)
            print("stackd replay: journal \(directory) (\(reader.segments.count) segments, recorded \(reader.manifest.createdAt))")
            var runner = ReplayRunner(configuration: configuration, trainer: DaemonTrainer.make(configuration: configuration),
                                      logger: logger)
            let line = attachProgress(&runner, plannedRetrains: nil)
            let result = try publishing(configuration: configuration, runner: &runner) { try $0.run(journal: reader) }
            line.finish()
            for c in reader.corruptions { print("damaged: \(c.segment) at byte \(c.byteOffset): \(c.reason) (skipped)") }
            Self.printControl(result)
            try finish(result: result, sourceName: kind.name)
            if requireParity, !result.parityMismatches.isEmpty {
                FileHandle.standardError.write(Data(("stackd replay: \(result.parityMismatches.count) parity mismatches with the live run "
                    + "(--require-parity): the outputs may differ from the live ones from the first mismatch on\n").utf8))
                throw ExitCode(1)
            }
            return
        }
        let wanted: [Int]? = !requested.isEmpty ? requested : fromFile ? configuration.pipeline.horizons : nil
        let loaded = try kind.load(horizons: wanted, regimeNames: configuration.pipeline.regimeNames)
        if !fromFile { configuration.pipeline.models = loaded.models }
        configuration.pipeline.horizons = loaded.horizons
        let logger = bootstrapLogging(level: fromFile ? configuration.logLevel.rawValue : "warning")
        print("stackd replay: \(loaded.description)")

        var runner = ReplayRunner(configuration: configuration, trainer: DaemonTrainer.make(configuration: configuration),
                                  logger: logger)
        let line = attachProgress(&runner, plannedRetrains: Self.plannedRetrains(loaded.events, configuration: configuration))
        let result = try publishing(configuration: configuration, runner: &runner) { try $0.run(events: loaded.events) }
        line.finish()
        try finish(result: result, sourceName: kind.name)
    }

    /// A progress line on a terminal (events done of total with an ETA, retrains done of planned),
    /// silent with --quiet or when stderr is not a terminal.
    private func attachProgress(_ runner: inout ReplayRunner, plannedRetrains: Int?) -> ProgressLine {
        let line = ProgressLine(label: "replay", enabled: !quiet)
        runner.progress = { p in
            let retrains = plannedRetrains.map { "retrains \(p.retrainsDone) of ~\($0)" } ?? "retrains \(p.retrainsDone)"
            line.update(done: p.eventsDone, of: p.eventsTotal, unit: "events", detail: retrains)
        }
        return line
    }

    /// Retrains the schedule will ask for, roughly: one per horizon every `every_event_times`
    /// distinct prediction times (the first ones wait for `min_rows`, so this is an upper bound);
    /// nil when the schedule is not on the event clock.
    static func plannedRetrains(_ events: [StreamEvent], configuration: DaemonConfiguration) -> Int? {
        let every = configuration.retrain.everyEventTimes
        guard every > 0 else { return nil }
        var times = Set<Int64>()
        for e in events { if case .prediction = e.kind { times.insert(e.eventTime) } }
        return times.count / every * configuration.pipeline.horizons.count
    }

    /// Runs `replay`, with a `PacedPublisher` attached when --publish is given: socket bound and
    /// subscribers awaited before the replay starts, the tail flushed (linger) after it.
    private func publishing(configuration: DaemonConfiguration, runner: inout ReplayRunner,
                            _ replay: (ReplayRunner) throws -> ReplayRunner.Result) throws -> ReplayRunner.Result {
        guard let publish else { return try replay(runner) }
        let pace = try speed.map(ReplaySpeed.parse) ?? .unpaced
        let context = try ZMQContext()
        defer { context.terminate() }
        let security = try curveSecretKey.map {
            try SocketSecurity(context: context, secretKeyFile: $0, clientKeysDirectory: clientKeys, logger: Logger(label: "stackd"))
        } ?? .plaintext()
        defer { security.stop() }
        let socket = try PacedPublisher.makeSocket(context: context, endpoint: publish,
                                                   sendHighWaterMark: Int32(clamping: configuration.output.sendHighWaterMark),
                                                   security: security)
        defer { socket.close() }
        let publisher = PacedPublisher(socket: socket, encoding: encoding ?? configuration.output.encoding,
                                       pacer: pace.isPaced ? ReplayPacer(speed: pace) : nil)
        let bound = (try? socket.lastEndpoint) ?? publish
        print("publishing ensemble outputs on \(bound) (\(publisher.encoding.rawValue), \(pace))")
        if waitForSubscribers > 0 {
            print("waiting for \(waitForSubscribers) subscription(s)…")
            let prefixes = try publisher.waitForSubscriptions(waitForSubscribers)
            print("subscribed: " + prefixes.map { "\"\(String(decoding: $0, as: UTF8.self))\"" }.joined(separator: ", "))
        }
        runner.observer = publisher
        let result = try replay(runner)
        var line = "published \(publisher.published) outputs"
        if publisher.sendFailures > 0 { line += " (\(publisher.sendFailures) send failures)" }
        if let pacer = publisher.pacer {
            line += String(format: "; paced %@: %.2f s asleep (ingest time below includes it)", "\(pace)",
                           Double(pacer.sleptNanoseconds) / 1e9)
        }
        print(line)
        return result
    }

    /// What the journal's control records did (`schemas/journal.md` §8): one digest per live
    /// session, comparable with the `digest=` of that session's `stackd stopped` line, and every
    /// point where the replay could not reproduce the live run.
    static func printControl(_ result: ReplayRunner.Result) {
        guard result.controlRecords > 0 else { return }
        print("control records: \(result.controlRecords) applied, \(result.parityMismatches.count) parity mismatches")
        for (i, d) in result.sessionDigests.enumerated() { print("session \(i + 1) digest \(d) over \(d.count) outputs") }
        for m in result.parityMismatches { print("parity mismatch: \(m)") }
    }

    private func finish(result: ReplayRunner.Result, sourceName: String) throws {
        let artifacts = BacktestArtifacts(result: result, source: sourceName, window: try evaluationWindow())
        let r = artifacts.report
        print("digest \(r.digest) over \(r.outputs) outputs")
        if let t = r.timing {
            print(String(format: "%d events: ingest %.2f s (%.0f events/s), training %.2f s; %d rejected, %d retrains",
                         r.events, t.ingestSeconds, t.eventsPerSecond, t.trainingSeconds, r.counters.totalRejected,
                         result.trainings.count))
        }
        print("")
        print(ComparisonTable.render(r), terminator: "")
        if let report {
            let paths = try artifacts.write(to: report)
            print("wrote \(paths.json) and \(paths.html)")
        }
        if let outputs {
            try ReplayOutputsFile.write(result, to: outputs)
            print("wrote \(outputs)")
        }
    }
}

extension PayloadEncoding: ExpressibleByArgument {}
