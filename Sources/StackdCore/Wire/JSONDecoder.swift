/// Decodes the JSON encoding of `schemas/prediction.schema.json`, `schemas/label.schema.json` and
/// `schemas/regime.schema.json` without allocating. Unknown fields are skipped so that senders may add fields in a later
/// minor revision without breaking this daemon.
public enum WireJSONDecoder {
    public static func decode(
        _ payload: UnsafeRawBufferPointer,
        probabilities: UnsafeMutableBufferPointer<Double>
    ) throws(WireRejection) -> InboundMessage {
        var s = JSONScanner(payload)
        try s.expect(UInt8(ascii: "{"))
        var version: Int64 = -1
        var kind: MessageKind? = nil
        var model = UnsafeRawBufferPointer(start: nil, count: 0)
        var symbol = UnsafeRawBufferPointer(start: nil, count: 0)
        var horizon: Int64 = -1
        var eventTime: Int64? = nil
        var sequence: Int64 = 0
        var classCount = -1
        var classIndex: Int64 = -1
        var forwardReturn = 0.0
        var exitTime: Int64 = 0
        // Regime values land in a fixed tuple, not the probability buffer: a key's meaning is known
        // only once `type` is read, and a prediction may carry an unknown `values` field.
        var regimeValues: (Double, Double, Double, Double, Double, Double, Double, Double,
                           Double, Double, Double, Double, Double, Double, Double, Double) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var regimeCount = -1
        if !s.consume(UInt8(ascii: "}")) {
            repeat {
                let key = try s.string()
                try s.expect(UInt8(ascii: ":"))
                if key.equals("v") {
                    version = try s.int64()
                } else if key.equals("type") {
                    let t = try s.string()
                    if t.equals("prediction") { kind = .prediction }
                    else if t.equals("label") { kind = .label }
                    else if t.equals("regime") { kind = .regime }
                    else { throw WireRejection(.unknownKind, "JSON type is not \"prediction\", \"label\" or \"regime\"") }
                } else if key.equals("model") {
                    model = try s.string()
                } else if key.equals("symbol") {
                    symbol = try s.string()
                } else if key.equals("horizon") {
                    horizon = try s.int64()
                } else if key.equals("ts") {
                    eventTime = try s.int64()
                } else if key.equals("seq") {
                    sequence = try s.int64()
                } else if key.equals("probs") {
                    try s.expect(UInt8(ascii: "["))
                    classCount = 0
                    if !s.consume(UInt8(ascii: "]")) {
                        repeat {
                            guard classCount < WireFormat.maxClassCount else {
                                throw WireRejection(.wrongArity, "more than 16 probabilities")
                            }
                            probabilities[classCount] = try s.double()
                            classCount += 1
                        } while s.consume(UInt8(ascii: ","))
                        try s.expect(UInt8(ascii: "]"))
                    }
                } else if key.equals("values") {
                    // Read as regime values; anything else is skipped like an unknown field (a
                    // prediction may carry its own `values`) and refused only in a regime.
                    let start = s.index
                    do throws(WireRejection) {
                        regimeCount = try readRegimeValues(&s, into: &regimeValues)
                    } catch {
                        s.index = start
                        try s.skipValue()
                        regimeCount = -2
                    }
                } else if key.equals("class") {
                    classIndex = try s.int64()
                } else if key.equals("fwd_return") {
                    forwardReturn = try s.double()
                } else if key.equals("exit_ts") {
                    exitTime = try s.int64()
                } else {
                    try s.skipValue()
                }
            } while s.consume(UInt8(ascii: ","))
            try s.expect(UInt8(ascii: "}"))
        }
        guard s.atEnd() else { throw WireRejection(.malformed, "JSON has bytes after the object") }
        guard version >= 0 else { throw WireRejection(.malformed, "JSON field \"v\" is missing") }
        guard version == Int64(WireFormat.version) else {
            throw WireRejection(.unsupportedVersion, "JSON schema version \"v\" is not 1")
        }
        guard let kind else { throw WireRejection(.malformed, "JSON field \"type\" is missing") }
        guard let eventTime else { throw WireRejection(.malformed, "JSON field \"ts\" is missing") }
        guard kind == .regime || (horizon >= 0 && horizon <= Int64(UInt32.max)) else {
            throw WireRejection(.malformed, "JSON field \"horizon\" is missing or out of range")
        }
        guard sequence >= 0 else { throw WireRejection(.malformed, "JSON field \"seq\" is negative") }
        guard isValidName(symbol) else {
            throw WireRejection(.badName, "symbol is missing, empty, too long or has a forbidden byte")
        }
        switch kind {
        case .prediction:
            guard isValidName(model) else {
                throw WireRejection(.badName, "model is missing, empty, too long or has a forbidden byte")
            }
            guard classCount >= 1 else { throw WireRejection(.wrongArity, "JSON field \"probs\" is missing or empty") }
            return .prediction(PredictionFields(
                model: model, symbol: symbol, horizon: Int(horizon), eventTime: eventTime,
                sequence: UInt64(sequence), classCount: classCount))
        case .label:
            guard classIndex >= 0, classIndex < Int64(WireFormat.maxClassCount) else {
                throw WireRejection(.badLabel, "JSON field \"class\" is missing or out of range")
            }
            return .label(LabelFields(
                symbol: symbol, horizon: Int(horizon), eventTime: eventTime, sequence: UInt64(sequence),
                classIndex: Int(classIndex), forwardReturn: forwardReturn, exitTime: exitTime))
        case .regime:
            guard regimeCount != -2 else { throw WireRejection(.malformed, "JSON field \"values\" is not a list of numbers") }
            guard regimeCount >= 1, regimeCount <= WireFormat.maxRegimeCount else {
                throw WireRejection(.wrongArity, "JSON field \"values\" is missing, empty or longer than 16")
            }
            withUnsafeBytes(of: regimeValues) { raw in
                let slots = raw.bindMemory(to: Double.self)
                for i in 0..<regimeCount { probabilities[i] = slots[i] }
            }
            for i in 0..<regimeCount {
                let v = probabilities[i]
                // The binary encoding carries i8: the JSON values mean the same numbers.
                guard v == v.rounded(), v >= -128, v <= 127 else {
                    throw WireRejection(.malformed, "a regime value is not an integer in -128...127")
                }
            }
            return .regime(RegimeFields(symbol: symbol, eventTime: eventTime, sequence: UInt64(sequence), count: regimeCount))
        default:
            throw WireRejection(.unknownKind, "JSON type is not \"prediction\", \"label\" or \"regime\"")
        }
    }
}

/// Reads `[n, n, …]` into `slots` (the first 16; the count says how many there were).
private func readRegimeValues(
    _ s: inout JSONScanner,
    into slots: inout (Double, Double, Double, Double, Double, Double, Double, Double,
                       Double, Double, Double, Double, Double, Double, Double, Double)
) throws(WireRejection) -> Int {
    try s.expect(UInt8(ascii: "["))
    if s.consume(UInt8(ascii: "]")) { return 0 }
    var count = 0
    repeat {
        let v = try s.double()
        if count < WireFormat.maxRegimeCount {
            withUnsafeMutableBytes(of: &slots) { $0.storeBytes(of: v, toByteOffset: 8 * count, as: Double.self) }
        }
        count += 1
    } while s.consume(UInt8(ascii: ","))
    try s.expect(UInt8(ascii: "]"))
    return count
}

/// Picks the decoder from the first byte: binary payloads start with "SK", JSON with `{`.
public enum WireDecoder {
    public static func decode(
        _ payload: UnsafeRawBufferPointer,
        probabilities: UnsafeMutableBufferPointer<Double>
    ) throws(WireRejection) -> InboundMessage {
        guard let first = payload.first else { throw WireRejection(.malformed, "empty payload") }
        if first == WireFormat.magic0 {
            return try BinaryDecoder.decode(payload, probabilities: probabilities)
        }
        // JSON may start with whitespace; anything else is neither encoding.
        if first == UInt8(ascii: "{") || first == 0x20 || first == 0x0A || first == 0x09 || first == 0x0D {
            return try WireJSONDecoder.decode(payload, probabilities: probabilities)
        }
        throw WireRejection(.malformed, "payload is neither binary (\"SK\") nor JSON (\"{\")")
    }
}
