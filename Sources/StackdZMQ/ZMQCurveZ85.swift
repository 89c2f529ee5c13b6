/// Z85 (ZeroMQ RFC 32): the text form of CURVE keys, 5 printable characters per 4 bytes.
///
/// Written in Swift rather than through `zmq_z85_decode` so that a bad key file gets a precise
/// refusal (length, or the offending character) instead of a null pointer, and so that
/// decoding a key read from disk never depends on a C buffer sized by the caller.
public enum Z85 {
    /// The 85 characters, in value order (RFC 32).
    static let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)

    /// Character → value, 0xFF for characters outside the alphabet.
    static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in alphabet.enumerated() { table[Int(character)] = UInt8(value) }
        return table
    }()

    /// The Z85 text of `bytes`; nil unless the count is a multiple of 4 (Z85 has no padding).
    public static func encode(_ bytes: [UInt8]) -> String? {
        guard bytes.count % 4 == 0 else { return nil }
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count / 4 * 5)
        var index = 0
        while index < bytes.count {
            var value = UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16
                | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3])
            var chunk = [UInt8](repeating: 0, count: 5)
            for position in stride(from: 4, through: 0, by: -1) {
                chunk[position] = alphabet[Int(value % 85)]
                value /= 85
            }
            text.append(contentsOf: chunk)
            index += 4
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes of Z85 `text`; nil when the length is not a multiple of 5, a character is
    /// outside the alphabet, or a group exceeds 2³² − 1 (e.g. `"%%%%%"`).
    public static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 5 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count / 5 * 4)
        var index = 0
        while index < characters.count {
            var value: UInt64 = 0
            for offset in 0..<5 {
                let digit = values[Int(characters[index + offset])]
                guard digit != 0xFF else { return nil }
                value = value * 85 + UInt64(digit)
            }
            guard value <= UInt64(UInt32.max) else { return nil }
            bytes.append(UInt8(truncatingIfNeeded: value >> 24))
            bytes.append(UInt8(truncatingIfNeeded: value >> 16))
            bytes.append(UInt8(truncatingIfNeeded: value >> 8))
            bytes.append(UInt8(truncatingIfNeeded: value))
            index += 5
        }
        return bytes
    }

    /// Why `text` is not a Z85 CURVE key, or nil if it is one: for error messages that say
    /// what to fix.
    public static func keyProblem(_ text: String) -> String? {
        let characters = Array(text.utf8)
        if characters.count != ZMQCurve.keyTextCount {
            return "a CURVE key is \(ZMQCurve.keyTextCount) Z85 characters, this one has \(characters.count)"
        }
        if let bad = characters.firstIndex(where: { values[Int($0)] == 0xFF }) {
            let shown = characters[bad] >= 0x20 && characters[bad] < 0x7F
                ? "'\(String(decoding: [characters[bad]], as: UTF8.self))'" : "byte \(characters[bad])"
            return "character \(bad + 1) (\(shown)) is not a Z85 character"
        }
        if decode(text) == nil { return "a 5-character group exceeds 32 bits: not Z85" }
        return nil
    }
}
