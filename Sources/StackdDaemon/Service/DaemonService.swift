import Foundation
import Logging
import StackdCore
import StackdSystemd
import StackdTraining

/// `stackd run` as a library type: start-up, readiness, reload, on-demand retrain, watchdog
/// (from the ingest loop) and shutdown, driven by a ``DaemonSignalSource``.
///
/// Why in the library: the executable's command is then a thin call, and the whole operator
/// path (signal → reload → stop → exit code) runs in-process under a test with requests made by
/// hand, instead of only through a child process.
package final class DaemonService: @unchecked Sendable {
    /// How a run ended; ``exitCode`` is what the process returns.
    package enum Outcome: Sendable, Equatable {
        /// Stopped on request, drained, training joined: exit 0.
        case stopped
        /// The ingest loop ended on its own (a poll failure): exit 1.
        case loopEnded
        /// The drain did not finish within the stop timeout: exit 1.
        case drainTimedOut
        /// The training thread was still inside a fit after its share of the stop timeout:
        /// exit 1, and the process must end without exit-time destructors (`_exit`).
        case trainingDidNotStop

        package var exitCode: Int32 { self == .stopped ? 0 : 1 }
        /// True when a thread may still be inside OpenBLAS/libxgboost or the drain: the process
        /// must end with `_exit`, since exit-time destructors could crash under that thread.
        package var needsImmediateExit: Bool { self == .drainTimedOut || self == .trainingDidNotStop }
    }

    package let configurationPath: String
    package let stopTimeout: TimeInterval
    let version: String
    let logger: Logger
    let levels: LogLevelControl
    let notifier: SystemdNotifier
    let signals: any DaemonSignalSource
    let trainer: TrainingFunction?
    /// `/readyz`: set once ready, cleared while reloading and once stopping.
    package let readiness = ReadinessFlag()

    private let lock = NSCondition()
    private var currentValue: DaemonConfiguration
    private var runnerValue: LiveRunner?
    private var metricsValue: MetricsServer?
    private var reloadCount = 0

    /// - Parameters:
    ///   - configuration: the configuration already loaded from `configurationPath` (a reload
    ///     re-reads the file).
    ///   - stopTimeout: seconds for the drain and the training thread together on stop.
    ///   - trainer: the retrain function; nil uses the configured learner.
    package init(configurationPath: String, configuration: DaemonConfiguration, stopTimeout: TimeInterval = 12,
                version: String, logger: Logger, levels: LogLevelControl, notifier: SystemdNotifier = SystemdNotifier(),
                signals: any DaemonSignalSource, trainer: TrainingFunction? = nil) {
        self.configurationPath = configurationPath
        currentValue = configuration
        self.stopTimeout = stopTimeout
        self.version = version
        self.logger = logger
        self.levels = levels
        self.notifier = notifier
        self.signals = signals
        self.trainer = trainer
    }

    /// The configuration in force (the loaded one with what reloads applied).
    package var current: DaemonConfiguration { lock.lock(); defer { lock.unlock() }; return currentValue }
    /// The live driver, once started.
    package var runner: LiveRunner? { lock.lock(); defer { lock.unlock() }; return runnerValue }
    /// The metrics endpoint, once listening.
    package var metrics: MetricsServer? { lock.lock(); defer { lock.unlock() }; return metricsValue }
    /// Reloads handled so far (applied or refused).
    package var reloads: Int { lock.lock(); defer { lock.unlock() }; return reloadCount }

    /// Waits until the service reports ready (or `timeout`); for tests and embedding.
    package func waitUntilReady(timeout: TimeInterval) -> Bool {
        waitFor(timeout: timeout) { readiness.isReady }
    }

    /// Waits until `reloads` reaches `count` (or `timeout`).
    package func waitForReloads(_ count: Int, timeout: TimeInterval) -> Bool {
        waitFor(timeout: timeout) { reloadCount >= count }
    }

    /// Starts, serves until a stop request, drains and stops. Throws ``StartupError`` when the
    /// daemon cannot start (nothing is left running then).
    package func run() throws -> Outcome {
        let configuration = current
        let runner = try LiveRunner(configuration: configuration, logger: logger, notifier: notifier, trainer: trainer)
        // Most of the stop budget goes to the training thread; the drain itself takes milliseconds.
        runner.trainingStopTimeout = stopTimeout * 0.8
        var metrics: MetricsServer?
        if !configuration.metricsAddress.isEmpty {
            do {
                let readiness = self.readiness
                metrics = try MetricsServer(address: configuration.metricsAddress, version: version, logger: logger,
                                            snapshot: { runner.snapshot() }, ready: { readiness.isReady })
            } catch {
                runner.close()
                throw StartupError(.configuration, "metrics.address: \(error)")
            }
            metrics?.start()
        }
        lock.lock()
        runnerValue = runner
        metricsValue = metrics
        lock.unlock()
        defer { metrics?.stop() }
        runner.start()
        // READY=1 once sockets are bound/connected and models loaded (LiveRunner.init) and the
        // ingest loop has turned once.
        guard runner.wait(timeout: 30, until: { $0.refreshedAtNanoseconds != 0 }) else {
            logger.critical("the ingest loop did not start")
            runner.requestStop()
            return runner.waitUntilFinished(timeout: stopTimeout) ? .loopEnded : .drainTimedOut
        }
        setReady(true)
        notifier.ready()
        notifier.status("running: in 0 out 0 rejected 0 pending 0")
        var loopEnded = false
        while !signals.stopRequested {
            if signals.consumeReloadRequest() {
                setReady(false)
                notifier.reloading()
                reload(runner: runner)
                setReady(true)
                notifier.ready()
            }
            if signals.consumeRetrainRequest() {
                logger.notice("retrain requested (SIGUSR1): every horizon with labelled rows")
                runner.requestRetrainAll()
            }
            for signo in signals.consumeIgnoredSignals() {
                logger.notice("signal ignored", metadata: ["signal": "\(Self.signalName(signo))"])
            }
            if runner.waitUntilFinished(timeout: 0.1) { loopEnded = true; break }
        }
        setReady(false)
        notifier.stopping()
        if loopEnded {
            logger.critical("the ingest loop stopped on its own; exiting with failure")
            return .loopEnded
        }
        logger.info("stopping: draining pending rows", metadata: ["signal": "\(Self.signalName(signals.stopSignal))"])
        runner.requestStop()
        guard runner.waitUntilFinished(timeout: stopTimeout) else {
            logger.critical("the drain did not finish in time; exiting at once", metadata: ["seconds": "\(stopTimeout)"])
            return .drainTimedOut
        }
        if runner.trainingStillRunning {
            logger.critical("the training thread is still fitting; exiting at once", metadata: ["seconds": "\(runner.trainingStopTimeout)"])
            return .trainingDidNotStop
        }
        let s = runner.snapshot()
        logger.info("stopped cleanly", metadata: [
            "published": "\(s.published)", "drained": "\(s.counters.rowsEmitted[Int(RowCompletion.drained.rawValue)])"])
        return .stopped
    }

    /// Re-reads the file; applies what can change live, names what needs a restart, and keeps
    /// the running configuration when the new one has errors.
    func reload(runner: LiveRunner) {
        defer {
            lock.lock()
            reloadCount += 1
            lock.broadcast()
            lock.unlock()
        }
        let current = self.current
        // The CURVE allow-list is re-read whatever the file says: revoking a key must not wait on
        // a file that has errors.
        runner.security.reloadAllowList()
        let new: DaemonConfiguration
        do {
            new = try ConfigurationLoader.load(path: configurationPath)
        } catch {
            let problems = (error as? ConfigurationFileError)?.problems ?? ["\(error)"]
            logger.error("reload refused: the configuration has errors; keeping the running one", metadata: [
                "file": "\(configurationPath)", "errors": "\(problems.joined(separator: " | "))"])
            for p in problems { logger.error("configuration error: \(p)") }
            return
        }
        let plan = ConfigurationReload.plan(current: current, new: new)
        if plan.isRefused {
            logger.error("reload refused: these keys cannot change under a running daemon; keeping the running configuration",
                         metadata: ["file": "\(configurationPath)", "keys": "\(plan.refused.joined(separator: ", "))"])
            return
        }
        let newLevel = plan.effective.logLevel
        // Logged under the more verbose of the two levels, so the change itself is visible.
        levels.level = min(levels.level, newLevel)
        if plan.applied.isEmpty && plan.needRestart.isEmpty {
            logger.notice("configuration reloaded: no changes", metadata: ["file": "\(configurationPath)"])
        } else {
            logger.notice("configuration reloaded", metadata: [
                "file": "\(configurationPath)",
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
        lock.lock()
        currentValue = plan.effective
        lock.unlock()
    }

    private func setReady(_ ready: Bool) {
        lock.lock()
        readiness.isReady = ready
        lock.broadcast()
        lock.unlock()
    }

    private func waitFor(timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        lock.lock()
        defer { lock.unlock() }
        while !condition() {
            if !lock.wait(until: deadline) { return condition() }
        }
        return true
    }

    /// `SIGTERM` rather than `15` in logs.
    static func signalName(_ signo: Int32) -> String {
        let names: [Int32: String] = [SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGTERM: "SIGTERM", SIGUSR1: "SIGUSR1",
                                      SIGUSR2: "SIGUSR2", SIGALRM: "SIGALRM", SIGVTALRM: "SIGVTALRM", SIGIO: "SIGIO",
                                      SIGPWR: "SIGPWR", SIGXFSZ: "SIGXFSZ", SIGSTKFLT: "SIGSTKFLT", SIGPIPE: "SIGPIPE"]
        return signo == 0 ? "none" : names[signo] ?? "signal \(signo)"
    }
}
