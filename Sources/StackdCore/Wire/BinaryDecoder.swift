/// Decodes the compact binary layout of `schemas/wire.md` without allocating.
public enum BinaryDecoder {
    /// Decodes a binary prediction, label or regime message. Probabilities (or regime values) are
    /// written to `probabilities`, which must hold at least `WireFormat.maxClassCount` values.
    public static func decode(
        _ payload: UnsafeRawBufferPointer,
        probabilities: UnsafeMutableBufferPointer<Double>
    ) throws(WireRejection) -> InboundMessage {
        guard payload.count >= 8 else { throw WireRejection(.malformed, "binary payload shorter than 8 bytes") }
        guard payload[0] == WireFormat.magic0, payload[1] == WireFormat.magic1 else {
            throw WireRejection(.malformed, "binary payload does not start with \"SK\"")
        }
        guard payload[2] == WireFormat.version else {
            throw WireRejection(.unsupportedVersion, "binary schema version is not 1")
        }
        switch MessageKind(rawValue: payload[3]) {
        case .prediction: return .prediction(try decodePrediction(payload, probabilities))
        case .label: return .label(try decodeLabel(payload))
        case .regime: return .regime(try decodeRegime(payload, probabilities))
        default: throw WireRejection(.unknownKind, "binary kind byte is not prediction (1), label (2) or regime (5)")
        }
    }

    static func decodePrediction(
        _ p: UnsafeRawBufferPointer, _ probabilities: UnsafeMutableBufferPointer<Double>
    ) throws(WireRejection) -> PredictionFields {
        guard p.count >= WireFormat.predictionHeaderSize else {
            throw WireRejection(.malformed, "prediction shorter than its 32-byte header")
        }
        let k = Int(p[4]), modelLength = Int(p[5]), symbolLength = Int(p[6])
        guard k >= 1, k <= WireFormat.maxClassCount else {
            throw WireRejection(.wrongArity, "class count must be 1...16")
        }
        let probsEnd = WireFormat.predictionHeaderSize + 8 * k
        guard p.count == probsEnd + modelLength + symbolLength else {
            throw WireRejection(.malformed, "prediction length disagrees with its header")
        }
        for c in 0..<k { probabilities[c] = p.readDoubleLE(WireFormat.predictionHeaderSize + 8 * c) }
        let model = UnsafeRawBufferPointer(rebasing: p[probsEnd ..< probsEnd + modelLength])
        let symbol = UnsafeRawBufferPointer(rebasing: p[probsEnd + modelLength ..< probsEnd + modelLength + symbolLength])
        guard isValidName(model), isValidName(symbol) else {
            throw WireRejection(.badName, "model or symbol is empty, too long or has a forbidden byte")
        }
        return PredictionFields(
            model: model, symbol: symbol,
            horizon: Int(p.readLE(8, as: UInt32.self)),
            eventTime: p.readLE(16, as: Int64.self),
            sequence: p.readLE(24, as: UInt64.self),
            classCount: k)
    }

    static func decodeLabel(_ p: UnsafeRawBufferPointer) throws(WireRejection) -> LabelFields {
        guard p.count >= WireFormat.labelFixedSize else {
            throw WireRejection(.malformed, "label shorter than its 48-byte fixed part")
        }
        let symbolLength = Int(p[6])
        guard p.count == WireFormat.labelFixedSize + symbolLength else {
            throw WireRejection(.malformed, "label length disagrees with its header")
        }
        let symbol = UnsafeRawBufferPointer(rebasing: p[WireFormat.labelFixedSize...])
        guard isValidName(symbol) else {
            throw WireRejection(.badName, "symbol is empty, too long or has a forbidden byte")
        }
        var label = LabelFields(
            symbol: symbol,
            horizon: Int(p.readLE(8, as: UInt32.self)),
            eventTime: p.readLE(16, as: Int64.self),
            sequence: p.readLE(24, as: UInt64.self),
            classIndex: Int(p[4]),
            forwardReturn: p.readDoubleLE(32),
            exitTime: p.readLE(40, as: Int64.self))
        label.classCount = Int(p[5])
        return label
    }

    /// Kind 5: a 32-byte header, `regime_count` signed bytes, the symbol (`schemas/wire.md` §4.4).
    static func decodeRegime(
        _ p: UnsafeRawBufferPointer, _ values: UnsafeMutableBufferPointer<Double>
    ) throws(WireRejection) -> RegimeFields {
        guard p.count >= WireFormat.regimeHeaderSize else {
            throw WireRejection(.malformed, "regime shorter than its 32-byte header")
        }
        let count = Int(p[4]), symbolLength = Int(p[5])
        guard count >= 1, count <= WireFormat.maxRegimeCount else {
            throw WireRejection(.wrongArity, "regime count must be 1...16")
        }
        let valuesEnd = WireFormat.regimeHeaderSize + count
        guard p.count == valuesEnd + symbolLength else {
            throw WireRejection(.malformed, "regime length disagrees with its header")
        }
        for i in 0..<count { values[i] = Double(Int8(bitPattern: p[WireFormat.regimeHeaderSize + i])) }
        let symbol = UnsafeRawBufferPointer(rebasing: p[valuesEnd...])
        guard isValidName(symbol) else {
            throw WireRejection(.badName, "symbol is empty, too long or has a forbidden byte")
        }
        return RegimeFields(symbol: symbol, eventTime: p.readLE(16, as: Int64.self),
                            sequence: p.readLE(24, as: UInt64.self), count: count)
    }
}
