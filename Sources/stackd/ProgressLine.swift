import Foundation

/// One self-overwriting status line on stderr for the long offline commands (`stackd train`,
/// `stackd replay`): what is done of what is planned, and an ETA from the rate so far.
///
/// It writes only when stderr is a terminal and the user did not ask for `--quiet`, so logs and
/// pipes never receive carriage-return noise; updates are throttled to a few per second.
final class ProgressLine: @unchecked Sendable {
    private let label: String
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(label: String, enabled: Bool) {
        self.label = label
        self.enabled = enabled && isatty(STDERR_FILENO) == 1
    }

    /// `done` of `total` `unit` finished; `detail` is appended (e.g. retrains done of planned).
    func update(done: Int, of total: Int, unit: String, detail: String = "") {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.2 || done == total else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        var eta = "–"
        if done > 0 && total > done {
            eta = Self.duration(elapsed / Double(done) * Double(total - done))
        } else if done >= total {
            eta = "0s"
        }
        let pct = total > 0 ? 100 * Double(done) / Double(total) : 100
        var text = String(format: "%@: %d/%d %@ (%.0f%%), elapsed %@, ETA %@", label, done, total, unit, pct,
                          Self.duration(elapsed), eta)
        if !detail.isEmpty { text += ", " + detail }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
        drawn = true
    }

    /// Erases the line (before ordinary output is printed).
    func clear() {
        guard enabled, drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        drawn = false
    }

    /// Erases the line for good.
    func finish() { clear() }

    static func duration(_ s: Double) -> String {
        guard s.isFinite, s >= 0 else { return "–" }
        if s < 60 { return String(format: "%.0fs", s) }
        if s < 3600 { return String(format: "%dm%02ds", Int(s) / 60, Int(s) % 60) }
        return String(format: "%dh%02dm", Int(s) / 3600, (Int(s) % 3600) / 60)
    }
}
