import Logging

/// What a reload (SIGHUP) can change in a running daemon.
///
/// Every key's reload class is in ``ConfigurationKeys`` (so a new key cannot be forgotten here):
/// keys that touch neither sockets, assembly state nor models apply live, so a reload never drops
/// or reorders a message (the log level and the reject log rate); other changed keys are named as
/// needing a restart and keep their running value; a change to a key the running state is built
/// on (models, classes, horizons, the state directory) refuses the whole reload, keeping the
/// running configuration.
package enum ConfigurationReload {
    package struct Plan: Sendable, Equatable {
        /// The configuration now in force: the old one with the live-applicable changes (the
        /// old one unchanged when the reload is refused).
        package var effective: DaemonConfiguration
        /// Changes applied, e.g. `log.level: info -> debug` (none when refused).
        package var applied: [String]
        /// Keys whose change needs a restart.
        package var needRestart: [String]
        /// Keys whose change cannot apply to a running daemon: when not empty, nothing was
        /// applied and the running configuration is kept.
        package var refused: [String]

        package var isRefused: Bool { !refused.isEmpty }
    }

    package static func plan(current: DaemonConfiguration, new: DaemonConfiguration) -> Plan {
        var effective = current
        var applied: [String] = [], needRestart: [String] = [], refused: [String] = []
        for key in ConfigurationKeys.all {
            let old = key.read(current), now = key.read(new)
            guard old != now else { continue }
            switch key.reload {
            case .live:
                if let now {
                    key.apply(&effective, now)
                    applied.append("\(key.path): \(old?.plain ?? "none") -> \(now.plain)")
                }
            case .restart: needRestart.append(key.path)
            case .refused: refused.append(key.path)
            }
        }
        if !refused.isEmpty {
            effective = current
            applied = []
        }
        return Plan(effective: effective, applied: applied, needRestart: needRestart, refused: refused)
    }
}
