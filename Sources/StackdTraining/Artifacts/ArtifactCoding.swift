import Foundation

/// One JSON dialect for every artifact: snake_case keys, sorted and pretty-printed so that two
/// trainings on the same data give byte-identical files (diffable, cacheable).
enum ArtifactCoding {
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try e.encode(value)) + [UInt8(ascii: "\n")]
    }

    /// Decodes or throws an `ArtifactError` naming `file`.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], file: String) throws -> T {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try d.decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            // Foundation refuses a number beyond Double's range as invalid JSON; say which number,
            // since "1e999" is a value problem (it means infinity), not a syntax one.
            if case .dataCorrupted = error, let literal = firstOverflowingNumber(bytes) {
                throw ArtifactError(file: file, message: "number \(literal) is not finite (beyond ±\(Double.greatestFiniteMagnitude)); refused",
                                    reason: .values)
            }
            throw ArtifactError(file: file, message: "corrupt or not a stackd artifact: \(describe(error))")
        }
    }

    /// The first number literal outside strings whose value overflows a Double, if any.
    static func firstOverflowingNumber(_ bytes: [UInt8]) -> String? {
        var i = 0
        var inString = false
        while i < bytes.count {
            let b = bytes[i]
            if inString {
                if b == UInt8(ascii: "\\") { i += 2; continue }
                if b == UInt8(ascii: "\"") { inString = false }
                i += 1
                continue
            }
            if b == UInt8(ascii: "\"") { inString = true; i += 1; continue }
            if b == UInt8(ascii: "-") || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) {
                var j = i + 1
                while j < bytes.count, let c = Optional(bytes[j]),
                      (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: ".") || c == UInt8(ascii: "e")
                        || c == UInt8(ascii: "E") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { j += 1 }
                let literal = String(decoding: bytes[i..<j], as: UTF8.self)
                if let v = Double(literal), !v.isFinite { return literal }
                i = j
                continue
            }
            i += 1
        }
        return nil
    }

    /// Reads only `schema_version`, so that a newer format is reported as such rather than as a
    /// confusing missing-field error.
    static func checkSchemaVersion(_ bytes: [UInt8], file: String) throws {
        struct Versioned: Decodable { var schemaVersion: Int }
        let v = try decode(Versioned.self, from: bytes, file: file)
        guard v.schemaVersion == ArtifactSchema.version else {
            throw ArtifactError(file: file, message: "unknown schema version \(v.schemaVersion) (this stackd reads version \(ArtifactSchema.version))")
        }
    }

    static func describe(_ e: DecodingError) -> String {
        switch e {
        case .dataCorrupted(let c): return "invalid JSON (\(c.underlyingError.map { "\($0)" } ?? c.debugDescription))"
        case .keyNotFound(let k, let c): return "missing field '\(k.stringValue)' at \(path(c))"
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "wrong type at \(path(c)): \(c.debugDescription)"
        @unknown default: return "\(e)"
        }
    }

    static func path(_ c: DecodingError.Context) -> String {
        c.codingPath.isEmpty ? "top level" : c.codingPath.map(\.stringValue).joined(separator: ".")
    }

    /// Non-finite numbers have no JSON form; they are written as null.
    static func finite(_ x: Double) -> Double? { x.isFinite ? x : nil }
}
