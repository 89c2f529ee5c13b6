import Logging

/// What a reload (SIGHUP) can change in a running daemon.
///
/// Only settings that do not touch sockets, assembly state or models apply live, so a reload
/// never drops or reorders a message: the log level and the reject log rate. Every other changed
/// key is named in the log as needing a restart, and stays at its running value.
public enum ConfigurationReload {
    public struct Plan: Sendable, Equatable {
        /// The configuration now in force: the old one with the live-applicable changes.
        public var effective: DaemonConfiguration
        /// Changes applied, e.g. `log.level: info -> debug`.
        public var applied: [String]
        /// Keys whose change needs a restart.
        public var needRestart: [String]
    }

    public static func plan(current: DaemonConfiguration, new: DaemonConfiguration) -> Plan {
        var effective = current
        var applied: [String] = []
        if new.logLevel != current.logLevel {
            applied.append("log.level: \(current.logLevel) -> \(new.logLevel)")
            effective.logLevel = new.logLevel
        }
        if new.rejectLogPerSecond != current.rejectLogPerSecond {
            applied.append("log.rejects_per_second: \(current.rejectLogPerSecond) -> \(new.rejectLogPerSecond)")
            effective.rejectLogPerSecond = new.rejectLogPerSecond
        }
        let a = current, b = new, p = current.pipeline, q = new.pipeline
        let checks: [(String, Bool)] = [
            ("models.names", p.models != q.models),
            ("models.classes", p.classCount != q.classCount),
            ("stream.horizons", p.horizons != q.horizons),
            ("stream.symbols", p.symbols != q.symbols),
            ("stream.max_symbols", p.maxSymbols != q.maxSymbols),
            ("input.max_payload_bytes", p.maxPayloadBytes != q.maxPayloadBytes),
            ("assembly.deadline_ms", p.deadlineNanoseconds != q.deadlineNanoseconds),
            ("assembly.min_models", p.minModels != q.minModels),
            ("assembly.max_pending_rows", p.maxPendingRows != q.maxPendingRows),
            ("assembly.sum_tolerance", p.sumTolerance != q.sumTolerance),
            ("labels.max_awaiting", p.maxAwaitingLabels != q.maxAwaitingLabels),
            ("input.connect", a.input.connect != b.input.connect),
            ("input.bind", a.input.bind != b.input.bind),
            ("input.topics", a.input.topics != b.input.topics),
            ("input.receive_hwm", a.input.receiveHighWaterMark != b.input.receiveHighWaterMark),
            ("output.connect", a.output.connect != b.output.connect),
            ("output.bind", a.output.bind != b.output.bind),
            ("output.encoding", a.output.encoding != b.output.encoding),
            ("output.send_hwm", a.output.sendHighWaterMark != b.output.sendHighWaterMark),
            ("[retrain]", a.retrain != b.retrain),
            ("[learner]", a.learner != b.learner),
            ("state.directory", a.stateDirectory != b.stateDirectory),
            ("metrics.address", a.metricsAddress != b.metricsAddress),
        ]
        return Plan(effective: effective, applied: applied, needRestart: checks.filter(\.1).map(\.0))
    }
}
