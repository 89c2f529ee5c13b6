import ArgumentParser
import Foundation
import Logging
import StackdDaemon

/// `stackd replay`: the live pipeline, fed in event time from a recording, then the backtest.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a recorded stream through the pipeline and report whether stacking beat averaging.",
        discussion: "SOURCE is a journal folder recorded by `stackd run` ([record] directory) or `stackd record`, replayed message by message at the recorded receive times, or a folder in the oos-daily format (labels delivered at their exit time). Without --config the embedded demo configuration is used, with the models and horizons of the data. Prints the output digest, counts, rates and a per-horizon comparison; with --report DIR also writes DIR/backtest.json and DIR/report.html.")

    @Argument(help: "A journal folder (recorded by `stackd run` or `stackd record`) or a folder in the oos-daily format.")
    var source: String

    @Option(name: .shortAndLong, help: "TOML configuration (default: the embedded demo configuration, models and horizons from the data).")
    var config: String?

    @Option(help: "Folder to write backtest.json and report.html into (created if needed).")
    var report: String?

    @Option(parsing: .upToNextOption, help: "Horizons to replay, e.g. --horizons 5 10 or --horizons 5,10 (default: the configuration's, or all in the data).")
    var horizons: [String] = []

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
            configuration = try config.map { try ConfigurationLoader.load(path: $0) }
                ?? ConfigurationLoader.parse(EmbeddedConfiguration.demo, source: "<embedded demo configuration>")
        } catch let error as ConfigurationFileError {
            FileHandle.standardError.write(Data("stackd: the configuration has errors:\n\(error.description)\n".utf8))
            throw ExitCode(78)
        }
        let kind = try ReplaySource.detect(source)
        if case .journal(let directory) = kind {
            // A journal holds wire messages: the configuration (models, horizons) must be the run's.
            let logger = bootstrapLogging(level: fromFile ? configuration.logLevel : "warning")
            let reader = try JournalReader(directory: directory)
            print("stackd replay: journal \(directory) (\(reader.segments.count) segments, recorded \(reader.manifest.createdAt))")
            let runner = ReplayRunner(configuration: configuration, trainer: DaemonTrainer.make(configuration: configuration),
                                      logger: logger)
            let result = try runner.run(journal: reader)
            for c in reader.corruptions { print("damaged: \(c.segment) at byte \(c.byteOffset): \(c.reason) (skipped)") }
            try finish(result: result, sourceName: kind.name)
            return
        }
        let wanted: [Int]? = !requested.isEmpty ? requested : fromFile ? configuration.pipeline.horizons : nil
        let loaded = try kind.load(horizons: wanted)
        if !fromFile { configuration.pipeline.models = loaded.models }
        configuration.pipeline.horizons = loaded.horizons
        let logger = bootstrapLogging(level: fromFile ? configuration.logLevel : "warning")
        print("stackd replay: \(loaded.description)")

        let runner = ReplayRunner(configuration: configuration, trainer: DaemonTrainer.make(configuration: configuration),
                                  logger: logger)
        let result = try runner.run(events: loaded.events)
        try finish(result: result, sourceName: kind.name)
    }

    private func finish(result: ReplayRunner.Result, sourceName: String) throws {
        let artifacts = BacktestArtifacts(result: result, source: sourceName)
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
    }
}
