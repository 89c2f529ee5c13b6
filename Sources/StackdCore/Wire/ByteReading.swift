/// Little-endian reads at arbitrary offsets: binary payloads come from the network with no
/// alignment guarantee.
extension UnsafeRawBufferPointer {
    @inline(__always)
    func readLE<T: FixedWidthInteger>(_ offset: Int, as: T.Type) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    @inline(__always)
    func readDoubleLE(_ offset: Int) -> Double {
        Double(bitPattern: readLE(offset, as: UInt64.self))
    }
}

/// True when every byte is printable ASCII other than `.` (the topic separator) and space.
///
/// Eight bytes at a time (SWAR): every name on the hot path is checked once per message, and a
/// byte loop costs five compares per byte. Per 8-byte word, with `x` the word's low 7 bits per
/// byte, a byte is refused when its high bit is set, when `x < 0x21` (adding 0x5F leaves the
/// byte's high bit clear), when `x == 0x7F` (adding 1 sets it), or when it equals `.`, `"` or `\`
/// (a zero byte of `x ^ c`: adding 0x7F leaves its high bit clear). No addition carries into the
/// next byte because every byte of `x` is at most 0x7F. The tail is checked byte by byte.
@inline(__always)
func isValidName(_ bytes: UnsafeRawBufferPointer) -> Bool {
    let count = bytes.count
    if count == 0 || count > WireFormat.maxNameLength { return false }
    let high: UInt64 = 0x8080_8080_8080_8080, low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
    var i = 0
    while i + 8 <= count {
        let v = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        let x = v & low7
        var bad = v & high
        bad |= ~(x &+ 0x5F5F_5F5F_5F5F_5F5F) & high           // below 0x21 (space and controls)
        bad |= (x &+ 0x0101_0101_0101_0101) & high             // 0x7F
        bad |= ~((x ^ 0x2E2E_2E2E_2E2E_2E2E) &+ low7) & high   // '.'
        bad |= ~((x ^ 0x2222_2222_2222_2222) &+ low7) & high   // '"'
        bad |= ~((x ^ 0x5C5C_5C5C_5C5C_5C5C) &+ low7) & high   // '\\'
        if bad != 0 { return false }
        i += 8
    }
    while i < count {
        let b = bytes[i]
        if b <= 0x20 || b >= 0x7F || b == UInt8(ascii: ".") || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { return false }
        i += 1
    }
    return true
}
