/// The topic grammar of `schemas/wire.md`: `kind.symbol.horizon[.model]`, routing key first so
/// that a ZeroMQ prefix subscription selects a kind, then a symbol, then a horizon.
///
/// - prediction: `pred.<symbol>.<horizon>.<model>`
/// - label:      `label.<symbol>.<horizon>`
/// - ensemble:   `ens.<symbol>.<horizon>`
/// - alert:      `alert.<kind>`
/// - regime:     `regime.<symbol>` (regimes are per symbol and event time, for every horizon)
public enum Topic {
    public static func prediction(symbol: String, horizon: Int, model: String) -> String {
        "pred.\(symbol).\(horizon).\(model)"
    }

    public static func label(symbol: String, horizon: Int) -> String { "label.\(symbol).\(horizon)" }

    public static func ensemble(symbol: String, horizon: Int) -> String { "ens.\(symbol).\(horizon)" }

    public static func alert(kind: String) -> String { "alert.\(kind)" }

    public static func regime(symbol: String) -> String { "regime.\(symbol)" }

    /// Writes `ens.<symbol>.<horizon>` into `out` and returns its length, without allocating.
    public static func writeEnsemble(symbol: UnsafeRawBufferPointer, horizon: Int,
                                     into out: UnsafeMutableRawBufferPointer) -> Int {
        var n = 0
        for b in "ens.".utf8 { out[n] = b; n += 1 }
        for b in symbol { out[n] = b; n += 1 }
        out[n] = UInt8(ascii: "."); n += 1
        n += writeDecimal(UInt64(horizon), into: UnsafeMutableRawBufferPointer(rebasing: out[n...]))
        return n
    }

    /// True when `topic` is exactly the topic the payload's fields call for.
    public static func matches(_ topic: UnsafeRawBufferPointer, prediction f: PredictionFields) -> Bool {
        var i = 0
        return consume("pred.", topic, &i) && consume(f.symbol, topic, &i) && consumeDot(topic, &i)
            && consumeDecimal(f.horizon, topic, &i) && consumeDot(topic, &i) && consume(f.model, topic, &i)
            && i == topic.count
    }

    public static func matches(_ topic: UnsafeRawBufferPointer, label f: LabelFields) -> Bool {
        var i = 0
        return consume("label.", topic, &i) && consume(f.symbol, topic, &i) && consumeDot(topic, &i)
            && consumeDecimal(f.horizon, topic, &i) && i == topic.count
    }

    public static func matches(_ topic: UnsafeRawBufferPointer, regime f: RegimeFields) -> Bool {
        var i = 0
        return consume("regime.", topic, &i) && consume(f.symbol, topic, &i) && i == topic.count
    }

    @inline(__always)
    static func consume(_ s: StaticString, _ t: UnsafeRawBufferPointer, _ i: inout Int) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i + n <= t.count else { return false }
        for j in 0..<n where t[i + j] != s.utf8Start[j] { return false }
        i += n
        return true
    }

    /// Names of 8 bytes or more are compared a word at a time, the last word overlapping the one
    /// before it; shorter ones (most tickers and model names) byte by byte, which is cheaper for them.
    @inline(__always)
    static func consume(_ s: UnsafeRawBufferPointer, _ t: UnsafeRawBufferPointer, _ i: inout Int) -> Bool {
        let n = s.count
        guard i + n <= t.count else { return false }
        if n >= 8 {
            var j = 0
            while true {
                if s.loadUnaligned(fromByteOffset: j, as: UInt64.self) != t.loadUnaligned(fromByteOffset: i + j, as: UInt64.self) {
                    return false
                }
                if j == n - 8 { break }
                j = min(j + 8, n - 8)
            }
        } else {
            for j in 0..<n where t[i + j] != s[j] { return false }
        }
        i += n
        return true
    }

    @inline(__always)
    static func consumeDot(_ t: UnsafeRawBufferPointer, _ i: inout Int) -> Bool {
        guard i < t.count, t[i] == UInt8(ascii: ".") else { return false }
        i += 1
        return true
    }

    static func consumeDecimal(_ value: Int, _ t: UnsafeRawBufferPointer, _ i: inout Int) -> Bool {
        // Canonical decimal only: `005` is not `5`, so one row has exactly one topic.
        if i + 1 < t.count, t[i] == UInt8(ascii: "0"), t[i + 1] >= UInt8(ascii: "0"), t[i + 1] <= UInt8(ascii: "9") { return false }
        var v = 0, digits = 0
        while i < t.count, t[i] >= UInt8(ascii: "0"), t[i] <= UInt8(ascii: "9"), digits < 12 {
            v = v * 10 + Int(t[i] - UInt8(ascii: "0"))
            i += 1
            digits += 1
        }
        return digits > 0 && v == value
    }

    /// Writes a decimal integer and returns the number of bytes written.
    @inline(__always)
    public static func writeDecimal(_ value: UInt64, into out: UnsafeMutableRawBufferPointer) -> Int {
        if value == 0 { out[0] = UInt8(ascii: "0"); return 1 }
        var v = value, n = 0
        while v > 0 { n += 1; v /= 10 }
        v = value
        for j in stride(from: n - 1, through: 0, by: -1) {
            out[j] = UInt8(ascii: "0") + UInt8(v % 10)
            v /= 10
        }
        return n
    }
}
