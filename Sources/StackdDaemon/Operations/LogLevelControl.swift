import Logging
import Synchronization

/// One log level shared by every logger of the process, changeable at run time (a reload),
/// because the loggers' handlers are copied into each component when it is built.
package final class LogLevelControl: Sendable {
    private let value: Mutex<Logger.Level>

    package init(_ level: Logger.Level) { value = Mutex(level) }

    package var level: Logger.Level {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}

/// Wraps a handler so its level is read from a ``LogLevelControl`` on every call.
package struct ControlledLogHandler: LogHandler {
    package var base: any LogHandler
    package let control: LogLevelControl

    package init(base: any LogHandler, control: LogLevelControl) {
        self.base = base
        self.control = control
    }

    package var logLevel: Logger.Level {
        get { control.level }
        set { control.level = newValue }
    }

    package var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = newValue }
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: key] = newValue }
    }

    package func log(event: LogEvent) {
        guard event.level >= control.level else { return }
        base.log(event: event)
    }
}
