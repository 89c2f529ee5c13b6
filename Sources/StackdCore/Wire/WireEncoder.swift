/// Encodes wire messages into caller-owned buffers. The binary ensemble output is written by
/// the ingest thread for every row, so it must not allocate; the other encoders serve
/// publishers (the demo, replay, benchmarks, tests) and favour clarity.
public enum WireEncoder {
    /// Bytes needed for a binary ensemble output (with the contributions block of M models when
    /// `contributionModels` is given).
    public static func ensembleSize(classCount k: Int, symbolLength: Int, contributionModels: Int? = nil) -> Int {
        WireFormat.ensembleHeaderSize + 8 * k + symbolLength
            + (contributionModels.map { EnsembleContributions.blockSize(modelCount: $0) } ?? 0)
    }

    /// Writes a binary ensemble output (layout in `schemas/wire.md`) and returns its length.
    public static func writeBinaryEnsemble(_ e: EnsembleEmission, latencyNanoseconds: UInt64,
                                           into out: UnsafeMutableRawBufferPointer) -> Int {
        let k = e.probabilities.count
        out[0] = WireFormat.magic0
        out[1] = WireFormat.magic1
        out[2] = WireFormat.version
        out[3] = MessageKind.ensemble.rawValue
        out[4] = UInt8(k)
        out[5] = UInt8(e.predictedClass)
        out[6] = UInt8(e.symbol.count)
        out[7] = e.method.rawValue
        out.storeBytes(of: UInt32(e.horizon).littleEndian, toByteOffset: 8, as: UInt32.self)
        out.storeBytes(of: e.modelVersion.littleEndian, toByteOffset: 12, as: UInt32.self)
        out.storeBytes(of: e.eventTime.littleEndian, toByteOffset: 16, as: Int64.self)
        out.storeBytes(of: e.sequence.littleEndian, toByteOffset: 24, as: UInt64.self)
        out.storeBytes(of: e.presentMask.littleEndian, toByteOffset: 32, as: UInt64.self)
        out.storeBytes(of: latencyNanoseconds.littleEndian, toByteOffset: 40, as: UInt64.self)
        out[48] = UInt8(e.modelCount)
        out[49] = UInt8(e.presentCount)
        out[50] = e.completion.rawValue
        out[51] = (e.regimeImputed ? WireFormat.ensembleFlagRegimeImputed : 0)
            | (e.contributions != nil ? WireFormat.ensembleFlagContributions : 0)
        out.storeBytes(of: UInt32(0), toByteOffset: 52, as: UInt32.self)
        var o = WireFormat.ensembleHeaderSize
        for c in 0..<k {
            out.storeBytes(of: e.probabilities[c].bitPattern.littleEndian, toByteOffset: o, as: UInt64.self)
            o += 8
        }
        for b in e.symbol { out[o] = b; o += 1 }
        if let c = e.contributions {
            out[o] = EnsembleContributions.blockVersion
            out[o + 1] = c.scale.rawValue
            out[o + 2] = UInt8(c.values.count)
            out[o + 3] = UInt8(c.servedClass)
            o += EnsembleContributions.blockHeaderSize
            for v in c.values {
                out.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: o, as: UInt64.self)
                o += 8
            }
        }
        return o
    }

    /// The JSON encoding of an ensemble output (`schemas/ensemble.schema.json`).
    public static func jsonEnsemble(_ e: EnsembleEmission, modelNames: [String], latencyNanoseconds: UInt64) -> String {
        var present: [String] = [], missing: [String] = []
        for (i, name) in modelNames.enumerated() {
            if e.presentMask & (UInt64(1) << UInt64(i)) != 0 { present.append("\"\(name)\"") } else { missing.append("\"\(name)\"") }
        }
        let probs = (0..<e.probabilities.count).map { "\(e.probabilities[$0])" }.joined(separator: ",")
        let symbol = String(decoding: e.symbol, as: UTF8.self)
        return "{\"v\":1,\"type\":\"ensemble\",\"symbol\":\"\(symbol)\",\"horizon\":\(e.horizon),\"ts\":\(e.eventTime),"
            + "\"seq\":\(e.sequence),\"probs\":[\(probs)],\"class\":\(e.predictedClass),\"method\":\"\(e.method.name)\","
            + "\"model_version\":\(e.modelVersion),\"models\":[\(present.joined(separator: ","))],"
            + "\"missing\":[\(missing.joined(separator: ","))],\"completion\":\"\(e.completion.name)\","
            + "\"latency_ns\":\(latencyNanoseconds),\"regime_imputed\":\(e.regimeImputed)"
            + (e.contributions.map { jsonContributions($0, modelNames: modelNames) } ?? "") + "}"
    }

    /// `,"contributions":{…}` (§5.3): the block's fields by name, models keyed by name.
    static func jsonContributions(_ c: EnsembleContributions, modelNames: [String]) -> String {
        let m = c.values.count - 2
        let models = (0..<m).map { "\"\(modelNames[$0])\":\(c.values[$0])" }.joined(separator: ",")
        return ",\"contributions\":{\"v\":\(EnsembleContributions.blockVersion),\"space\":\"\(c.scale.name)\","
            + "\"class\":\(c.servedClass),\"models\":{\(models)},\"shared\":\(c.values[m]),\"bias\":\(c.values[m + 1])}"
    }

    /// A binary prediction (publishers, tests, benchmarks).
    public static func binaryPrediction(model: String, symbol: String, horizon: Int, eventTime: Int64,
                                        sequence: UInt64, probabilities: [Double]) -> [UInt8] {
        var out: [UInt8] = [WireFormat.magic0, WireFormat.magic1, WireFormat.version, MessageKind.prediction.rawValue,
                            UInt8(probabilities.count), UInt8(model.utf8.count), UInt8(symbol.utf8.count), 0]
        appendLE(UInt32(horizon), to: &out)
        appendLE(UInt32(0), to: &out)
        appendLE(UInt64(bitPattern: eventTime), to: &out)
        appendLE(sequence, to: &out)
        for p in probabilities { appendLE(p.bitPattern, to: &out) }
        out += Array(model.utf8)
        out += Array(symbol.utf8)
        return out
    }

    /// A binary label.
    public static func binaryLabel(symbol: String, horizon: Int, eventTime: Int64, sequence: UInt64,
                                   classIndex: Int, classCount: Int, forwardReturn: Double, exitTime: Int64) -> [UInt8] {
        var out: [UInt8] = [WireFormat.magic0, WireFormat.magic1, WireFormat.version, MessageKind.label.rawValue,
                            UInt8(classIndex), UInt8(classCount), UInt8(symbol.utf8.count), 0]
        appendLE(UInt32(horizon), to: &out)
        appendLE(UInt32(0), to: &out)
        appendLE(UInt64(bitPattern: eventTime), to: &out)
        appendLE(sequence, to: &out)
        appendLE(forwardReturn.bitPattern, to: &out)
        appendLE(UInt64(bitPattern: exitTime), to: &out)
        out += Array(symbol.utf8)
        return out
    }

    /// A JSON prediction.
    public static func jsonPrediction(model: String, symbol: String, horizon: Int, eventTime: Int64,
                                      sequence: UInt64, probabilities: [Double]) -> String {
        "{\"v\":1,\"type\":\"prediction\",\"model\":\"\(model)\",\"symbol\":\"\(symbol)\",\"horizon\":\(horizon),"
            + "\"ts\":\(eventTime),\"seq\":\(sequence),\"probs\":[\(probabilities.map { "\($0)" }.joined(separator: ","))]}"
    }

    /// A JSON label.
    public static func jsonLabel(symbol: String, horizon: Int, eventTime: Int64, sequence: UInt64,
                                 classIndex: Int, forwardReturn: Double, exitTime: Int64) -> String {
        "{\"v\":1,\"type\":\"label\",\"symbol\":\"\(symbol)\",\"horizon\":\(horizon),\"ts\":\(eventTime),"
            + "\"seq\":\(sequence),\"class\":\(classIndex),\"fwd_return\":\(forwardReturn),\"exit_ts\":\(exitTime)}"
    }

    /// A binary regime message (kind 5): values are signed bytes, in `regimes.names` order.
    public static func binaryRegime(symbol: String, eventTime: Int64, sequence: UInt64, values: [Int8]) -> [UInt8] {
        var out: [UInt8] = [WireFormat.magic0, WireFormat.magic1, WireFormat.version, MessageKind.regime.rawValue,
                            UInt8(values.count), UInt8(symbol.utf8.count), 0, 0]
        appendLE(UInt32(0), to: &out)
        appendLE(UInt32(0), to: &out)
        appendLE(UInt64(bitPattern: eventTime), to: &out)
        appendLE(sequence, to: &out)
        out += values.map { UInt8(bitPattern: $0) }
        out += Array(symbol.utf8)
        return out
    }

    /// A JSON regime message.
    public static func jsonRegime(symbol: String, eventTime: Int64, sequence: UInt64, values: [Int8]) -> String {
        "{\"v\":1,\"type\":\"regime\",\"symbol\":\"\(symbol)\",\"ts\":\(eventTime),\"seq\":\(sequence),"
            + "\"values\":[\(values.map { "\($0)" }.joined(separator: ","))]}"
    }

    @inline(__always)
    static func appendLE<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }
}
