import ArgumentParser
import Foundation
import Logging
import StackdCore
import StackdDaemon
import StackdSystemd

@main
struct Stackd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stackd",
        abstract: "Stacks the live predictions of several trading models into one better prediction.",
        discussion: "Base models publish class probabilities on ZeroMQ; stackd aligns them per (symbol, horizon, event time), computes stacking features and publishes an ensemble prediction per horizon.",
        version: StackdVersion.string,
        subcommands: [Run.self, Demo.self, CheckConfig.self, Train.self, Replay.self, Record.self, Models.self, Keygen.self]
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
            SIGHUP re-reads the file (log level and reject log rate apply live; other changes are \
            logged as needing a restart); SIGTERM/SIGINT drain pending rows and exit.
            """)

    @Option(name: .shortAndLong, help: "Path of the TOML configuration file.")
    var config: String

    @Option(help: "Seconds allowed for the drain on stop (keep below the unit's TimeoutStopSec).")
    var stopTimeout: Double = 12

    func run() throws {
        var current: DaemonConfiguration
        do {
            current = try ConfigurationLoader.load(path: config)
        } catch let error as ConfigurationFileError {
            FileHandle.standardError.write(Data("stackd: refusing to start: the configuration has errors:\n\(error.description)\n".utf8))
            throw ExitCode(78)   // EX_CONFIG: systemd does not restart on a bad configuration in a loop
        }
        let levels = LogLevelControl(current.logLevel)
        let logger = bootstrapLogging(control: levels)
        let notifier = SystemdNotifier()
        let signals = SignalEvents()
        let runner = try LiveRunner(configuration: current, logger: logger, notifier: notifier)
        let readiness = ReadinessFlag()
        var metrics: MetricsServer?
        if !current.metricsAddress.isEmpty {
            let server = try MetricsServer(address: current.metricsAddress, version: StackdVersion.string, logger: logger,
                                           snapshot: { runner.snapshot() }, ready: { readiness.isReady })
            server.start()
            metrics = server
        }
        runner.start()
        // READY=1 once sockets are bound/connected and models loaded (LiveRunner.init) and the
        // ingest loop has turned once.
        guard runner.wait(timeout: 30, until: { $0.refreshedAtNanoseconds != 0 }) else {
            logger.critical("the ingest loop did not start")
            throw ExitCode.failure
        }
        readiness.isReady = true
        notifier.ready()
        notifier.status("running: in 0 out 0 rejected 0 pending 0")
        var loopEnded = false
        while !signals.stopRequested {
            if signals.consumeReloadRequest() {
                readiness.isReady = false
                notifier.reloading()
                current = reload(current: current, runner: runner, levels: levels, logger: logger)
                readiness.isReady = true
                notifier.ready()
            }
            if signals.consumeRetrainRequest() {
                logger.notice("retrain requested (SIGUSR1): every horizon with labelled rows")
                runner.requestRetrainAll()
            }
            if runner.waitUntilFinished(timeout: 0.1) { loopEnded = true; break }
        }
        readiness.isReady = false
        notifier.stopping()
        if loopEnded {
            logger.critical("the ingest loop stopped on its own; exiting with failure")
            metrics?.stop()
            throw ExitCode.failure
        }
        logger.info("stopping: draining pending rows", metadata: ["signal": "\(signals.stopSignal)"])
        runner.requestStop()
        guard runner.waitUntilFinished(timeout: stopTimeout) else {
            logger.critical("the drain did not finish in time", metadata: ["seconds": "\(stopTimeout)"])
            throw ExitCode.failure
        }
        metrics?.stop()
        let s = runner.snapshot()
        logger.info("stopped cleanly", metadata: [
            "published": "\(s.published)", "drained": "\(s.counters.rowsEmitted[Int(RowCompletion.drained.rawValue)])"])
    }

    /// Re-reads the file; applies what can change live, names what needs a restart, and keeps
    /// the running configuration when the new one has errors.
    func reload(current: DaemonConfiguration, runner: LiveRunner, levels: LogLevelControl, logger: Logger) -> DaemonConfiguration {
        // The CURVE allow-list is re-read whatever the file says: revoking a key must not wait on a fixed file.
        runner.security.reloadAllowList()
        let new: DaemonConfiguration
        do {
            new = try ConfigurationLoader.load(path: config)
        } catch {
            let problems = (error as? ConfigurationFileError)?.problems ?? ["\(error)"]
            logger.error("reload refused: the configuration has errors; keeping the running one", metadata: [
                "file": "\(config)", "errors": "\(problems.joined(separator: " | "))"])
            for p in problems { logger.error("configuration error: \(p)") }
            return current
        }
        let plan = ConfigurationReload.plan(current: current, new: new)
        if plan.isRefused {
            logger.error("reload refused: these keys cannot change under a running daemon; keeping the running configuration",
                         metadata: ["file": "\(config)", "keys": "\(plan.refused.joined(separator: ", "))"])
            return current
        }
        let newLevel = plan.effective.logLevel
        // Logged under the more verbose of the two levels, so the change itself is visible.
        levels.level = min(levels.level, newLevel)
        if plan.applied.isEmpty && plan.needRestart.isEmpty {
            logger.notice("configuration reloaded: no changes", metadata: ["file": "\(config)"])
        } else {
            logger.notice("configuration reloaded", metadata: [
                "file": "\(config)",
                "applied": "\(plan.applied.isEmpty ? "none" : plan.applied.joined(separator: ", "))",
                "restart_needed": "\(plan.needRestart.isEmpty ? "none" : plan.needRestart.joined(separator: ", "))",
            ])
        }
        if !plan.needRestart.isEmpty {
            logger.warning("changed keys need a restart to apply; they keep their running values",
                           metadata: ["keys": "\(plan.needRestart.joined(separator: ", "))"])
        }
        levels.level = newLevel
        if plan.effective.rejectLogPerSecond != current.rejectLogPerSecond {
            runner.setRejectLogPerSecond(plan.effective.rejectLogPerSecond)
        }
        return plan.effective
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
        commandName: "check-config",
        abstract: "Validate a configuration file and report every error with its line.",
        discussion: """
            Checks the file (syntax, keys, types, ranges, cross-key rules, the memory budget) and, \
            without side effects, what it needs from this machine (ipc directories, state and record \
            directories, key files), as `stackd run` does before opening sockets. Exits 78 with one \
            line per problem (FILE:LINE: section.key: what is wrong).
            """)

    @Argument(help: "Path of the TOML configuration file.")
    var path: String

    @Flag(help: "Check the file only, not this machine (a file prepared for another machine).")
    var syntaxOnly = false

    func run() throws {
        do {
            let c = try ConfigurationLoader.load(path: path, checkHost: !syntaxOnly)
            print("\(path): OK (\(c.pipeline.models.count) models, horizons \(c.pipeline.horizons.map(String.init).joined(separator: ",")))")
        } catch let error as ConfigurationFileError {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(78)
        }
    }
}
