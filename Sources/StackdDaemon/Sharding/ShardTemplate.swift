/// The placeholders of a shard-plan template (`stackd shard-plan --template CONFIG`): the template
/// is an ordinary stackd configuration in which
///
/// - `{shard}` becomes the shard index (`0` … `K−1`), e.g. `directory = "/var/lib/stackd/shard-{shard}"`;
/// - `{shard+N}` becomes `N` plus the index, e.g. `bind = ["tcp://127.0.0.1:{shard+5600}"]` gives
///   ports 5600, 5601, …: the rule for anything numeric, such as ports.
///
/// Substitution is textual and happens before the TOML is parsed, so a placeholder may appear in
/// any string value. Any other `{shard…}` is refused, so a typo cannot silently reach a shard.
package enum ShardTemplate {
    static let opening = Array("{shard".utf8)

    /// `text` with every placeholder replaced for shard `index`.
    package static func substitute(_ text: String, shard index: Int, source: String) throws -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "{"), bytes[i...].starts(with: opening) else {
                out.append(bytes[i])
                i += 1
                continue
            }
            guard let close = bytes[i...].firstIndex(of: UInt8(ascii: "}")), close - i <= 32 else {
                throw problem(source, bytes, at: i, "an unterminated `{shard` placeholder")
            }
            let inner = String(decoding: bytes[(i + opening.count)..<close], as: UTF8.self)
            let value: Int
            if inner.isEmpty {
                value = index
            } else if inner.first == "+", let offset = Int(inner.dropFirst()), offset >= 0,
                      inner.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }) {
                let (sum, overflow) = offset.addingReportingOverflow(index)
                guard !overflow else { throw problem(source, bytes, at: i, "`{shard\(inner)}` overflows") }
                value = sum
            } else {
                throw problem(source, bytes, at: i,
                              "unknown placeholder `{shard\(inner)}` (use `{shard}` or `{shard+N}` with a decimal N)")
            }
            out.append(contentsOf: Array(String(value).utf8))
            i = close + 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `text` holds at least one placeholder.
    static func containsPlaceholder(_ text: String) -> Bool {
        text.contains("{shard")
    }

    private static func problem(_ source: String, _ bytes: [UInt8], at offset: Int, _ what: String) -> ShardPlanError {
        let line = 1 + bytes[..<offset].reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        return ShardPlanError("\(source):\(line): \(what)")
    }
}
