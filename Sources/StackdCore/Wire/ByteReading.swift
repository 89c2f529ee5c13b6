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
/// Names of 8 bytes or more are checked a word at a time (SWAR), the last word overlapping the
/// one before it, so there is no tail loop; shorter names (most tickers) keep the byte loop, which
/// is cheaper for them. Per 8-byte word, with `x` the word's low 7 bits per byte, a byte is
/// refused when its high bit is set, when `x < 0x21` (adding 0x5F leaves the byte's high bit
/// clear), when `x == 0x7F` (adding 1 sets it), or when it equals `.`, `"` or `\` (a zero byte of
/// `x ^ c`: adding 0x7F leaves its high bit clear). No addition carries into the next byte
/// because every byte of `x` is at most 0x7F.
@inline(__always)
func isValidName(_ bytes: UnsafeRawBufferPointer) -> Bool {
    let count = bytes.count
    if count == 0 || count > WireFormat.maxNameLength { return false }
    guard count >= 8 else {
        for b in bytes where b <= 0x20 || b >= 0x7F || b == UInt8(ascii: ".") || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
            return false
        }
        return true
    }
    var i = 0
    while true {
        if !isValidNameWord(bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { return false }
        if i == count - 8 { return true }
        i = min(i + 8, count - 8)
    }
}

/// The word test of `isValidName`: true when all 8 bytes may appear in a name.
@inline(__always)
func isValidNameWord(_ v: UInt64) -> Bool {
    let high: UInt64 = 0x8080_8080_8080_8080, low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
    let x = v & low7
    var bad = v & high
    bad |= ~(x &+ 0x5F5F_5F5F_5F5F_5F5F) & high           // below 0x21 (space and controls)
    bad |= (x &+ 0x0101_0101_0101_0101) & high             // 0x7F
    bad |= ~((x ^ 0x2E2E_2E2E_2E2E_2E2E) &+ low7) & high   // '.'
    bad |= ~((x ^ 0x2222_2222_2222_2222) &+ low7) & high   // '"'
    bad |= ~((x ^ 0x5C5C_5C5C_5C5C_5C5C) &+ low7) & high   // '\\'
    return bad == 0
}
