import ArgumentParser
import Foundation
import Logging
import StackdCore
import StackdDaemon
import StackdSignals

@main
struct Stackd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stackd",
        abstract: "Stacks the live predictions of several trading models into one better prediction.",
        discussion: "Base models publish class probabilities on ZeroMQ; stackd aligns them per (symbol, horizon, event time), computes stacking features and publishes an ensemble prediction per horizon.",
        version: VersionReport.text,
        subcommands: [Run.self, Demo.self, CheckConfig.self, Train.self, Replay.self, Record.self, Models.self, Keygen.self,
                      ShardPlanCommand.self, Proxy.self, GenerateManual.self]
    )
}

enum StackdVersion {
    static let string = "0.1.0"
}

/// Logs go to stderr, one event per line, which journald stores as one entry each.
func bootstrapLogging(level: String) -> Logger {
    let parsed = Logger.Level(rawValue: level) ?? .info
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = parsed
        return handler
    }
    return Logger(label: "stackd")
}

/// Logging whose level a reload can change: every logger reads it from `control`.
func bootstrapLogging(control: LogLevelControl) -> Logger {
    LoggingSystem.bootstrap { label in
        var base = StreamLogHandler.standardError(label: label)
        base.logLevel = .trace
        return ControlledLogHandler(base: base, control: control)
    }
    return Logger(label: "stackd")
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the daemon with a configuration file.",
        discussion: """
            Environment overrides, applied after the file: STACKD_STATE_DIRECTORY (state.directory), \
            STACKD_METRICS_ADDRESS (metrics.address; empty disables), STACKD_LOG_LEVEL (log.level). \
            SIGHUP re-reads the file and the CURVE allow-list (log level and reject log rate apply live; \
            other changes are logged as needing a restart; a change to models, classes, horizons or \
            state.directory refuses the whole reload); SIGUSR1 retrains now; SIGTERM/SIGINT drain pending rows, \
            stop training and exit 0; SIGUSR2, SIGALRM and SIGPIPE are ignored. Exit codes: 73 a \
            state or record directory cannot be created, 74 I/O error on state, 78 configuration \
            or endpoint error, 1 failure or stop timeout.
            """)

    @Option(name: .shortAndLong, help: "Path of the TOML configuration file.")
    var config: String

    @Option(help: "Seconds allowed for the drain on stop (keep below the unit's TimeoutStopSec).")
    var stopTimeout: Double = 12

    func run() throws {
        let configuration: DaemonConfiguration
        do {
            configuration = try ConfigurationLoader.load(path: config)
        } catch let error as ConfigurationFileError {
            FileHandle.standardError.write(Data("stackd: refusing to start: the configuration has errors:\n\(error.description)\n".utf8))
            throw ExitCode(78)   // EX_CONFIG: systemd does not restart on a bad configuration in a loop
        }
        let levels = LogLevelControl(configuration.logLevel)
        let logger = bootstrapLogging(control: levels)
        let service = DaemonService(configurationPath: config, configuration: configuration, stopTimeout: stopTimeout,
                                    version: VersionReport.text, logger: logger, levels: levels, signals: SignalEvents())
        let outcome: DaemonService.Outcome
        do {
            outcome = try service.run()
        } catch let error as StartupError {
            FileHandle.standardError.write(Data("stackd: refusing to start: \(error.message)\n".utf8))
            throw ExitCode(error.exitCode)
        } catch {
            // Not a known start-up failure (e.g. libzmq could not create its context): still one line.
            FileHandle.standardError.write(Data("stackd: refusing to start: \(error)\n".utf8))
            throw ExitCode(70)   // EX_SOFTWARE
        }
        if outcome.needsImmediateExit {
            // A thread may still be inside OpenBLAS/libxgboost or the drain: exit-time
            // destructors could crash under it, so none run.
            // (Logs are written unbuffered to stderr, so nothing is lost here.)
            _exit(outcome.exitCode)
        }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a self-contained demo: a publisher, the daemon and a consumer over real ZeroMQ sockets.")

    @Option(help: "How long to publish, in seconds.")
    var seconds: Double = 10

    @Option(help: "Messages per second the demo publisher sends.")
    var rate: Int = 50_000

    @Option(help: "Send one bad message every N messages (0: none), to show rejects being counted.")
    var badEvery: Int = 997

    @Option(help: "A folder in the oos-daily format to stream (default: ../shared/data/oos-daily when present, else the built-in generator).")
    var data: String?

    @Flag(help: "Use the built-in generator even when recorded data is present.")
    var builtIn = false

    func run() throws {
        // Rejects are counted in the summary; their per-message log lines are for `stackd run`.
        let logger = bootstrapLogging(level: "error")
        var demo = DemoRunner(seconds: seconds, rate: rate, badEvery: badEvery)
        let folder = data ?? "../shared/data/oos-daily"
        if !builtIn, data != nil || FileManager.default.fileExists(atPath: "\(folder)/preds_h5.csv") {
            print("stackd demo: loading \(folder)...")
            demo.source = .recorded(try OOSDailyStream.load(directory: folder), name: folder)
        }
        _ = try demo.run(logger: logger)
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Validate a configuration file and report every error with its line.")

    @Argument(help: "Path of the TOML configuration file.")
    var path: String

    func run() throws {
        do {
            let c = try ConfigurationLoader.load(path: path)
            print("\(path): OK (\(c.pipeline.models.count) models, horizons \(c.pipeline.horizons.map(String.init).joined(separator: ",")))")
        } catch let error as ConfigurationFileError {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(78)
        }
    }
}
