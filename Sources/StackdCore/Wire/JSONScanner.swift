#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A forward-only scanner for the flat JSON objects of the wire protocol.
///
/// Foundation's JSON decoders allocate a tree per message; this reads names as borrowed byte
/// ranges and numbers straight into values, so the JSON path stays allocation-free too.
/// Strings holding escape sequences are refused: wire names are plain ASCII by definition.
struct JSONScanner {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < bytes.count {
            let b = bytes[index]
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { index += 1 } else { return }
        }
    }

    @inline(__always)
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
    }

    mutating func expect(_ byte: UInt8) throws(WireRejection) {
        guard peek() == byte else { throw WireRejection(.malformed, "JSON is not well formed") }
        index += 1
    }

    /// Consumes `byte` if it is next.
    mutating func consume(_ byte: UInt8) -> Bool {
        if peek() == byte { index += 1; return true }
        return false
    }

    /// Reads a string without escapes and returns its bytes, borrowed.
    mutating func string() throws(WireRejection) -> UnsafeRawBufferPointer {
        try expect(UInt8(ascii: "\""))
        let start = index
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let s = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                index += 1
                return s
            }
            if b == UInt8(ascii: "\\") || b < 0x20 {
                throw WireRejection(.malformed, "JSON string has an escape or control character")
            }
            index += 1
        }
        throw WireRejection(.malformed, "JSON string is not terminated")
    }

    /// The bytes of a number token.
    mutating func numberToken() throws(WireRejection) -> UnsafeRawBufferPointer {
        skipWhitespace()
        let start = index
        while index < bytes.count {
            let b = bytes[index]
            if (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+")
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
                index += 1
            } else {
                break
            }
        }
        if index == start + 1, bytes[start] == UInt8(ascii: "-"), index < bytes.count,
           bytes[index] == UInt8(ascii: "I") || bytes[index] == UInt8(ascii: "N") {
            throw WireRejection(.nonFinite, "JSON number is NaN or Infinity")
        }
        guard index > start else {
            // NaN and Infinity are not JSON; name them precisely for the sender.
            let at = index < bytes.count && bytes[index] == UInt8(ascii: "-") ? index + 1 : index
            if at < bytes.count, bytes[at] == UInt8(ascii: "N") || bytes[at] == UInt8(ascii: "I") {
                throw WireRejection(.nonFinite, "JSON number is NaN or Infinity")
            }
            throw WireRejection(.malformed, "JSON value is not a number")
        }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<index])
    }

    /// Reads an exact integer (no fraction, no exponent) over the whole signed 64-bit range.
    ///
    /// A negative number is accumulated downwards, so −2⁶³ (whose magnitude has no positive
    /// Int64) parses like every other value: the JSON and binary encodings then accept the same
    /// integers, as `schemas/wire.md` §5 promises.
    mutating func int64() throws(WireRejection) -> Int64 {
        let token = try numberToken()
        var i = 0
        var negative = false
        if token[0] == UInt8(ascii: "-") { negative = true; i = 1 }
        guard i < token.count else { throw WireRejection(.malformed, "JSON integer is empty") }
        var value: Int64 = 0
        while i < token.count {
            let d = token[i]
            guard d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") else {
                throw WireRejection(.malformed, "JSON field must be an integer")
            }
            let digit = Int64(d - UInt8(ascii: "0"))
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = negative ? m.subtractingReportingOverflow(digit) : m.addingReportingOverflow(digit)
            guard !o1, !o2 else { throw WireRejection(.malformed, "JSON integer overflows 64 bits") }
            value = a
            i += 1
        }
        return value
    }

    /// Reads a floating-point number with the C library's correctly rounded `strtod`.
    mutating func double() throws(WireRejection) -> Double {
        let token = try numberToken()
        guard token.count < 64 else { throw WireRejection(.malformed, "JSON number is too long") }
        let value: Double? = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            for i in 0..<token.count { buffer[i] = CChar(bitPattern: token[i]) }
            buffer[token.count] = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            let parsed = strtod(buffer.baseAddress!, &end)
            guard let end, end - buffer.baseAddress! == token.count else { return nil }
            return parsed
        }
        guard let value else { throw WireRejection(.malformed, "JSON number is not well formed") }
        return value
    }

    /// Skips any JSON value (used for fields this version does not know, for forward compatibility).
    mutating func skipValue(depth: Int = 0) throws(WireRejection) {
        guard depth < 16 else { throw WireRejection(.malformed, "JSON nests too deeply") }
        switch peek() {
        case UInt8(ascii: "\""):
            _ = try stringAllowingEscapes()
        case UInt8(ascii: "{"):
            index += 1
            if consume(UInt8(ascii: "}")) { return }
            repeat {
                _ = try stringAllowingEscapes()
                try expect(UInt8(ascii: ":"))
                try skipValue(depth: depth + 1)
            } while consume(UInt8(ascii: ","))
            try expect(UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            index += 1
            if consume(UInt8(ascii: "]")) { return }
            repeat { try skipValue(depth: depth + 1) } while consume(UInt8(ascii: ","))
            try expect(UInt8(ascii: "]"))
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try numberToken()
        }
    }

    private mutating func stringAllowingEscapes() throws(WireRejection) {
        try expect(UInt8(ascii: "\""))
        while index < bytes.count {
            let b = bytes[index]
            index += 1
            if b == UInt8(ascii: "\\") { index += 1; continue }
            if b == UInt8(ascii: "\"") { return }
        }
        throw WireRejection(.malformed, "JSON string is not terminated")
    }

    private mutating func literal(_ word: StaticString) throws(WireRejection) {
        let n = word.utf8CodeUnitCount
        guard index + n <= bytes.count else { throw WireRejection(.malformed, "JSON literal is truncated") }
        for i in 0..<n where bytes[index + i] != word.utf8Start[i] {
            throw WireRejection(.malformed, "JSON literal is not true, false or null")
        }
        index += n
    }

    /// True when the rest of the input is whitespace.
    mutating func atEnd() -> Bool { peek() == nil }
}

extension UnsafeRawBufferPointer {
    /// Byte-wise comparison with a static ASCII string, without allocating.
    @inline(__always)
    func equals(_ s: StaticString) -> Bool {
        guard count == s.utf8CodeUnitCount else { return false }
        let p = s.utf8Start
        for i in 0..<count where self[i] != p[i] { return false }
        return true
    }
}
