import Logging

/// Logs refused peers without letting a peer that reconnects in a loop (libzmq retries every
/// 100 ms by default) flood the log: at most `perSecond` lines per second, then one line saying
/// how many were not shown. The counters stay exact regardless.
///
/// Used by the ZAP handler's thread only.
struct RefusedPeerLog {
    let logger: Logger
    var perSecond: Int
    private var windowStart: UInt64 = 0
    private var shown = 0
    private var suppressed = 0

    init(logger: Logger, perSecond: Int) {
        self.logger = logger
        self.perSecond = perSecond
    }

    /// Logs one refusal (or counts it as not shown). `now` is a monotonic clock in ns.
    mutating func refused(_ reason: AuthenticationFailure, address: String, socket: String, detail: String, now: UInt64) {
        rollWindow(now: now)
        guard shown < perSecond else { suppressed += 1; return }
        shown += 1
        logger.warning("refused a peer at the security handshake", metadata: [
            "reason": "\(reason.rawValue)", "address": "\(address)", "socket": "\(socket)", "detail": "\(detail)"])
    }

    /// Emits the summary of the last window if something was suppressed (call it when idle too,
    /// so a burst's summary is not held until the next refusal).
    mutating func rollWindow(now: UInt64) {
        guard now &- windowStart >= 1_000_000_000 else { return }
        if suppressed > 0 {
            logger.warning("refused peers not shown (rate limit)", metadata: ["count": "\(suppressed)"])
        }
        windowStart = now
        shown = 0
        suppressed = 0
    }
}
