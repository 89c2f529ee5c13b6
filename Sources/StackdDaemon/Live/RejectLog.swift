import Logging
import StackdCore

/// Explains rejected messages in the log without letting a flood of bad input flood the log:
/// at most `perSecond` lines per reason per second, then one line saying how many were not shown.
/// Counters are exact regardless (they live in the pipeline).
struct RejectLog {
    let logger: Logger
    var perSecond: Int
    private var windowStart = Array(repeating: UInt64(0), count: RejectReason.allCases.count)
    private var shown = Array(repeating: 0, count: RejectReason.allCases.count)
    private var suppressed = Array(repeating: 0, count: RejectReason.allCases.count)

    init(logger: Logger, perSecond: Int) {
        self.logger = logger
        self.perSecond = perSecond
    }

    mutating func record(_ rejection: WireRejection, topic: UnsafeRawBufferPointer?, payload: UnsafeRawBufferPointer, now: UInt64) {
        let i = RejectReason.allCases.firstIndex(of: rejection.reason)!
        if now &- windowStart[i] >= 1_000_000_000 {
            if suppressed[i] > 0 {
                logger.warning("rejected messages not shown", metadata: [
                    "reason": "\(rejection.reason.rawValue)", "count": "\(suppressed[i])"])
            }
            windowStart[i] = now
            shown[i] = 0
            suppressed[i] = 0
        }
        guard shown[i] < perSecond else { suppressed[i] += 1; return }
        shown[i] += 1
        logger.warning("rejected message", metadata: [
            "reason": "\(rejection.reason.rawValue)",
            "detail": "\(rejection.detail)",
            "topic": "\(topic.map(Self.printable) ?? "-")",
            "bytes": "\(payload.count)",
            "head": "\(Self.printable(UnsafeRawBufferPointer(rebasing: payload.prefix(48))))",
        ])
    }

    /// Printable ASCII kept, everything else as `\xNN`, so a log line stays one line.
    static func printable(_ bytes: UnsafeRawBufferPointer) -> String {
        var s = ""
        for b in bytes.prefix(96) {
            if b >= 0x20 && b < 0x7F && b != UInt8(ascii: "\\") { s.unicodeScalars.append(UnicodeScalar(b)) }
            else { s += "\\x" + String(b, radix: 16).leftPadded(2) }
        }
        return s
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
