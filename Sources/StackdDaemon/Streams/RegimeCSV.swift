import Foundation
import StackdLearning

/// Reads the regime values of an oos-daily folder's `regimes.csv` (`timestamp,symbol,<name>…`,
/// one row per (symbol, event time)) for the configured `regimes.names`, so that replay and the
/// demo publish them as regime messages, as a live regime feed would.
///
/// Columns are found by name, so a deployment may configure any subset or order of the file's
/// columns; each value must be an integer in −128…127 (the wire carries `i8`).
enum RegimeCSV {
    struct Row {
        var symbol: String
        var eventTime: Int64
        var values: [Int8]
    }

    static func read(path: String, names: [String]) throws -> [Row] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw StreamLoadError("\(path): regimes.names is configured but the file cannot be read: \(error.localizedDescription)")
        }
        return try parse(text, names: names, file: path)
    }

    /// Parses the text of a `regimes.csv`; errors are `FILE:LINE: what is wrong`.
    static func parse(_ text: String, names: [String], file: String) throws -> [Row] {
        var rows: [Row] = []
        var columns: [Int] = []
        var timestampColumn = 0, symbolColumn = 0, width = 0
        var seen = Set<String>()
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.isEmpty { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            let lineNumber = offset + 1
            func fail(_ message: String) -> StreamLoadError { StreamLoadError("\(file):\(lineNumber): \(message)") }
            if width == 0 {
                guard let t = fields.firstIndex(of: "timestamp"), let s = fields.firstIndex(of: "symbol") else {
                    throw fail("the header needs the columns timestamp and symbol")
                }
                timestampColumn = t
                symbolColumn = s
                columns = try names.map { name in
                    guard let i = fields.firstIndex(of: name) else { throw fail("missing column '\(name)' (regimes.names)") }
                    return i
                }
                width = fields.count
                continue
            }
            guard fields.count == width else { throw fail("\(fields.count) fields, the header has \(width)") }
            guard let eventTime = CivilDate.epochNanoseconds(fields[timestampColumn]) else {
                throw fail("timestamp: not a YYYY-MM-DD date: '\(fields[timestampColumn])'")
            }
            let symbol = fields[symbolColumn]
            guard !symbol.isEmpty else { throw fail("symbol is empty") }
            let values = try zip(names, columns).map { name, i -> Int8 in
                guard let v = Int8(fields[i]) else { throw fail("\(name): not an integer in -128...127: '\(fields[i])'") }
                return v
            }
            guard seen.insert("\(symbol)\u{0}\(eventTime)").inserted else { throw fail("duplicate regime row for this event") }
            rows.append(Row(symbol: symbol, eventTime: eventTime, values: values))
        }
        guard width > 0 else { throw StreamLoadError("\(file): empty file (no header)") }
        return rows
    }
}
