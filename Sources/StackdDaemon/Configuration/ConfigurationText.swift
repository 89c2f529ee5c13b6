import Foundation

/// Reads a configuration file as UTF-8 text, or says precisely why it cannot: a missing or
/// unreadable file by name, a binary or mis-encoded one by the line and byte offset of its first
/// bad byte (Foundation's "isn't in the correct format" names neither).
enum ConfigurationText {
    /// Larger than any sensible configuration: refusing it keeps a wrong path (a log, a core
    /// dump) from being read into memory.
    static let maxBytes = 1 << 20

    static func read(path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigurationFileError(problems: ["\(path): cannot read the configuration: no such file"])
        }
        guard !isDirectory.boolValue else {
            throw ConfigurationFileError(problems: ["\(path): cannot read the configuration: it is a directory"])
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ConfigurationFileError(problems: ["\(path): cannot read the configuration: permission denied"])
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxBytes + 1) ?? Data()
        } catch {
            throw ConfigurationFileError(problems: ["\(path): cannot read the configuration: read failed"])
        }
        guard data.count <= maxBytes else {
            throw ConfigurationFileError(problems: ["\(path): cannot read the configuration: larger than \(maxBytes) bytes"])
        }
        return try decode(data, source: path)
    }

    /// `data` as text, refusing invalid UTF-8 and NUL bytes with the place of the first one.
    static func decode(_ data: Data, source: String) throws -> String {
        let bytes = [UInt8](data)
        if let offset = firstInvalidByte(bytes) {
            let line = bytes[..<offset].reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
            let what = bytes[offset] == 0 ? "a NUL byte" : "byte 0x" + String(bytes[offset], radix: 16, uppercase: true)
            throw ConfigurationFileError(problems: [
                "\(source):\(line): not UTF-8 text: \(what) at byte offset \(offset) (is this a binary file?)"])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The offset of the first byte that is not part of a well-formed UTF-8 sequence (or is NUL).
    static func firstInvalidByte(_ b: [UInt8]) -> Int? {
        var i = 0
        while i < b.count {
            let c = b[i]
            if c == 0 { return i }
            if c < 0x80 { i += 1; continue }
            let length: Int, low: UInt8, high: UInt8
            switch c {
            case 0xC2...0xDF: length = 2; low = 0x80; high = 0xBF
            case 0xE0: length = 3; low = 0xA0; high = 0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3; low = 0x80; high = 0xBF
            case 0xED: length = 3; low = 0x80; high = 0x9F
            case 0xF0: length = 4; low = 0x90; high = 0xBF
            case 0xF1...0xF3: length = 4; low = 0x80; high = 0xBF
            case 0xF4: length = 4; low = 0x80; high = 0x8F
            default: return i
            }
            guard i + length <= b.count else { return i }
            guard (low...high).contains(b[i + 1]) else { return i }
            for j in 2..<length where !(0x80...0xBF).contains(b[i + j]) { return i }
            i += length
        }
        return nil
    }
}
