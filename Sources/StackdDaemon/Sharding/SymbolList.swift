/// The symbols file of `stackd shard-plan --symbols FILE`: one symbol per line.
///
/// Blank lines and lines starting with `#` are skipped; spaces and tabs around a symbol are
/// trimmed. Every symbol must be a wire name (schemas/wire.md section 2: 1–64 bytes of printable
/// ASCII other than `.`, `"` and `\`), and appear once: a duplicate is refused rather than merged,
/// because it usually means two lists were concatenated by mistake.
package enum SymbolList {
    package static func parse(_ text: String, source: String) throws -> [String] {
        var symbols: [String] = []
        var firstLine: [String: Int] = [:]
        var problems: [String] = []
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let symbol = String(line)
            guard isWireName(symbol) else {
                problems.append("\(source):\(lineNumber): \"\(symbol)\" is not a symbol name (1–64 printable ASCII bytes, no space, `.`, `\"` or `\\`)")
                continue
            }
            if let first = firstLine[symbol] {
                problems.append("\(source):\(lineNumber): duplicate symbol \"\(symbol)\" (first on line \(first))")
                continue
            }
            firstLine[symbol] = lineNumber
            symbols.append(symbol)
        }
        if problems.isEmpty && symbols.isEmpty {
            problems.append("\(source): no symbols (one symbol per line; blank lines and `#` comments are skipped)")
        }
        guard problems.isEmpty else { throw ShardPlanError(problems.joined(separator: "\n")) }
        return symbols
    }

    /// The wire's name rule (schemas/wire.md section 2).
    package static func isWireName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { b in
            b >= 0x21 && b <= 0x7E && b != UInt8(ascii: ".") && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\")
        }
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return self[endIndex...] }
        let end = lastIndex(where: { !isSpace($0) }) ?? start
        return self[start...end]
    }
}
