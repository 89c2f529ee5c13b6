/// Refuses, with their line, the two malformed shapes that make toml++ 3.4.0 (bundled by
/// TOMLKit) violate its own preconditions: a table header whose name starts with neither a key
/// character nor a quote (`[}x]`, `[[ .a]]`, `[[[1]]]`; fixed upstream in toml++ PR #301), and a
/// `}` where an array value or `]` belongs (`a = [1, }`). A debug build aborts on them and a
/// release build runs into undefined behaviour, so the loader never hands them over.
///
/// It is a lexer, not a parser: it follows strings, comments and bracket nesting just enough to
/// recognise those two shapes and leaves every other error to toml++.
enum TOMLPrecheck {
    /// `(line, message)` of the first such shape, or nil.
    static func firstProblem(_ text: String) -> (line: Int, message: String)? {
        let b = Array(text.utf8)
        var i = 0, line = 1
        var stack: [UInt8] = []            // "[" or "{" of the open values
        var expectingArrayValue = false
        var atLineStart = true
        func at(_ k: Int) -> UInt8 { k < b.count ? b[k] : 0 }
        func isKeyStart(_ c: UInt8) -> Bool {
            (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
                || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: "\"") || c == UInt8(ascii: "'")
        }
        while i < b.count {
            let c = b[i]
            switch c {
            case UInt8(ascii: "\n"):
                line += 1
                atLineStart = stack.isEmpty
                i += 1
                continue
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                i += 1
                continue
            case UInt8(ascii: "#"):
                while i < b.count && b[i] != UInt8(ascii: "\n") { i += 1 }
                continue
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                let multi = at(i + 1) == c && at(i + 2) == c
                i += multi ? 3 : 1
                while i < b.count {
                    if b[i] == UInt8(ascii: "\\") && c == UInt8(ascii: "\"") { i += 2; continue }
                    if b[i] == UInt8(ascii: "\n") {
                        line += 1
                        if !multi { break }
                    }
                    if b[i] == c && (!multi || (at(i + 1) == c && at(i + 2) == c)) {
                        i += multi ? 3 : 1
                        break
                    }
                    i += 1
                }
                atLineStart = false
                expectingArrayValue = false
                continue
            default: break
            }
            if atLineStart && c == UInt8(ascii: "[") {
                var j = i + 1
                if at(j) == UInt8(ascii: "[") { j += 1 }
                while at(j) == UInt8(ascii: " ") || at(j) == UInt8(ascii: "\t") { j += 1 }
                if !isKeyStart(at(j)) {
                    return (line, "a table header must start with a key name (letters, digits, _ or -, or a quoted name)")
                }
                while i < b.count && b[i] != UInt8(ascii: "\n") && b[i] != UInt8(ascii: "#") { i += 1 }
                continue
            }
            atLineStart = false
            switch c {
            case UInt8(ascii: "["):
                stack.append(c)
                expectingArrayValue = true
            case UInt8(ascii: "{"):
                stack.append(c)
                expectingArrayValue = false
            case UInt8(ascii: "]"):
                if stack.last == UInt8(ascii: "[") { stack.removeLast() }
                expectingArrayValue = false
            case UInt8(ascii: "}"):
                if expectingArrayValue && stack.last == UInt8(ascii: "[") {
                    return (line, "'}' where an array value or ']' belongs")
                }
                if stack.last == UInt8(ascii: "{") { stack.removeLast() }
                expectingArrayValue = false
            case UInt8(ascii: ","):
                expectingArrayValue = stack.last == UInt8(ascii: "[")
            default:
                expectingArrayValue = false
            }
            i += 1
        }
        return nil
    }
}
