/// One `sd_notify` state message, formatted exactly as systemd parses it.
///
/// Kept separate from ``SystemdNotifier`` so the wire text can be checked without a socket and so
/// callers cannot hand-write assignments with typos (`READY=true` is silently ignored by systemd).
public enum NotifyMessage: Sendable, Hashable {
    /// Startup finished: sockets connected, models loaded. systemd starts dependants after this.
    case ready
    /// A reload began. systemd 253+ requires the `CLOCK_MONOTONIC` time of the request alongside
    /// `RELOADING=1` to tell this reload from an older one; earlier versions ignore the extra field.
    case reloading(monotonicMicroseconds: UInt64)
    /// Shutdown began, so systemd reports "deactivating" instead of a hang while the loop drains.
    case stopping
    /// A one-line human status shown by `systemctl status`.
    case status(String)
    /// Keep-alive ping for `WatchdogSec=`.
    case watchdog
    /// Asks for more time on the current start, reload or stop (relative to now).
    case extendTimeout(microseconds: UInt64)
    /// Names the process systemd should supervise when it is not the one that was started.
    case mainPID(Int32)

    /// The newline-separated `KEY=VALUE` text passed to `sd_notify`.
    public var payload: String {
        switch self {
        case .ready: "READY=1"
        case .reloading(let usec): "RELOADING=1\nMONOTONIC_USEC=\(usec)"
        case .stopping: "STOPPING=1"
        case .status(let text): "STATUS=\(Self.sanitizedStatus(text))"
        case .watchdog: "WATCHDOG=1"
        case .extendTimeout(let usec): "EXTEND_TIMEOUT_USEC=\(usec)"
        case .mainPID(let pid): "MAINPID=\(pid)"
        }
    }

    /// A newline would end the `STATUS=` assignment and let the rest of the text be parsed as
    /// further assignments (`\nSTOPPING=1` in a model name would stop the unit); a NUL would cut
    /// the C string. Both become spaces.
    static func sanitizedStatus(_ text: String) -> String {
        String(text.unicodeScalars.map { scalar -> Character in
            switch scalar {
            case "\n", "\r", "\u{0}", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}": " "
            default: Character(scalar)
            }
        })
    }
}
