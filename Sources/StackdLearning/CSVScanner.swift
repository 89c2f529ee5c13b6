/// A minimal comma-separated scanner over UTF-8 text, for the simple machine-written files of the
/// prediction stream (no quoting, no embedded commas).
///
/// It works on byte ranges so that tens of thousands of rows parse without building a `String`
/// per field; only symbols and model names are materialised.
struct CSVScanner {
    let bytes: [UInt8]
    let fileName: String

    init(text: String, fileName: String) {
        self.bytes = Array(text.utf8)
        self.fileName = fileName
    }

    /// Calls `body(lineNumber, fields)` for every non-empty line (1-based line numbers; line 1 is
    /// the header). Fields are byte ranges into `bytes`; a trailing `\r` is dropped.
    func forEachLine(_ body: (Int, [Range<Int>]) throws -> Void) rethrows {
        var fields: [Range<Int>] = []
        fields.reserveCapacity(16)
        var lineNo = 0
        var start = 0
        let n = bytes.count
        while start < n {
            var end = start
            while end < n && bytes[end] != 10 { end += 1 }
            lineNo += 1
            var lineEnd = end
            if lineEnd > start && bytes[lineEnd - 1] == 13 { lineEnd -= 1 }
            if lineEnd > start {
                fields.removeAll(keepingCapacity: true)
                var f = start
                var i = start
                while i < lineEnd {
                    if bytes[i] == 44 { fields.append(f..<i); f = i + 1 }
                    i += 1
                }
                fields.append(f..<lineEnd)
                try body(lineNo, fields)
            }
            start = end + 1
        }
    }

    func string(_ r: Range<Int>) -> String { String(decoding: bytes[r], as: UTF8.self) }

    func error(_ line: Int, _ message: String) -> OOSDailyParseError {
        OOSDailyParseError(file: fileName, line: line, message: message)
    }

    func double(_ r: Range<Int>, line: Int, column: String) throws -> Double {
        guard let v = Double(string(r)), v.isFinite else {
            throw error(line, "\(column): not a finite number: '\(string(r))'")
        }
        return v
    }

    func int(_ r: Range<Int>, line: Int, column: String) throws -> Int {
        guard let v = Int(string(r)) else { throw error(line, "\(column): not an integer: '\(string(r))'") }
        return v
    }

    func timestamp(_ r: Range<Int>, line: Int, column: String) throws -> Int64 {
        guard let t = CivilDate.epochNanoseconds(parsing: bytes[r]) else {
            throw error(line, "\(column): not a YYYY-MM-DD date: '\(string(r))'")
        }
        return t
    }

    /// Maps required column names to their positions in the header line.
    func columns(_ header: [Range<Int>], required: [String], line: Int) throws -> [String: Int] {
        var map: [String: Int] = [:]
        for (i, r) in header.enumerated() { map[string(r).trimmingSpaces] = i }
        for name in required where map[name] == nil { throw error(line, "missing column '\(name)'") }
        return map
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
