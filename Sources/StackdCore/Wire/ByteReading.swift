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
@inline(__always)
func isValidName(_ bytes: UnsafeRawBufferPointer) -> Bool {
    if bytes.isEmpty || bytes.count > WireFormat.maxNameLength { return false }
    for b in bytes where b <= 0x20 || b >= 0x7F || b == UInt8(ascii: ".") || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
        return false
    }
    return true
}
