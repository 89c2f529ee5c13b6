import StackdCore
import Testing

/// The one writer of each binary input message: the bytes `schemas/wire.md` §3 lays out (checked
/// byte by byte on a message small enough to write out by hand), and a refusal — never a trap —
/// for what the format cannot carry or the buffer cannot hold.
struct WireInputEncodingTests {
    /// Prediction, K = 2, model "m", symbol "S", horizon 5, ts 1, seq 2, probabilities ½, ½.
    @Test func predictionBytesAreTheDocumentedLayout() {
        let half: [UInt8] = [0, 0, 0, 0, 0, 0, 0xE0, 0x3F]  // 0.5 as little-endian IEEE 754
        let expected: [UInt8] = [0x53, 0x4B, 1, 1, 2, 1, 1, 0,   // magic "SK", v1, kind 1, K, model len, symbol len, 0
                                 5, 0, 0, 0, 0, 0, 0, 0,        // horizon u32, reserved
                                 1, 0, 0, 0, 0, 0, 0, 0,        // ts
                                 2, 0, 0, 0, 0, 0, 0, 0]        // seq
            + half + half + [UInt8(ascii: "m"), UInt8(ascii: "S")]
        let bytes = WireEncoder.binaryPrediction(model: "m", symbol: "S", horizon: 5, eventTime: 1, sequence: 2,
                                                 probabilities: [0.5, 0.5])
        #expect(bytes == expected)
    }

    @Test func aBufferTooSmallOrAnUnencodableFieldIsRefused() {
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { out.deallocate() }
        let name: [UInt8] = Array("SPX".utf8)
        name.withUnsafeBytes { s in
            let small = UnsafeMutableRawBufferPointer(rebasing: out[0..<40])
            #expect(WireEncoder.writeBinaryPrediction(model: s, symbol: s, horizon: 5, eventTime: 0, sequence: 0,
                                                      probabilities: [0.2, 0.3, 0.5], into: small) == nil)
            #expect(WireEncoder.writeBinaryPrediction(model: s, symbol: s, horizon: 5, eventTime: 0, sequence: 0,
                                                      probabilities: [0.2, 0.3, 0.5], into: out) == 32 + 24 + 6)
            #expect(WireEncoder.writeBinaryPrediction(model: s, symbol: s, horizon: -1, eventTime: 0, sequence: 0,
                                                      probabilities: [1], into: out) == nil)
            #expect(WireEncoder.writeBinaryPrediction(model: s, symbol: s, horizon: 5, eventTime: 0, sequence: 0,
                                                      probabilities: [Double](repeating: 0, count: 256), into: out) == nil)
            #expect(WireEncoder.writeBinaryLabel(symbol: s, horizon: 5, eventTime: 0, sequence: 0, classIndex: 300,
                                                 classCount: 3, forwardReturn: 0, exitTime: 0, into: out) == nil)
            #expect(WireEncoder.writeBinaryLabel(symbol: s, horizon: 5, eventTime: 0, sequence: 0, classIndex: 2,
                                                 classCount: 3, forwardReturn: 0, exitTime: 0, into: out) == 48 + 3)
            #expect(WireEncoder.writeBinaryRegime(symbol: s, eventTime: 0, sequence: 0,
                                                  values: [Int8](repeating: 1, count: 256), into: out) == nil)
            #expect(WireEncoder.writeBinaryRegime(symbol: s, eventTime: 0, sequence: 0, values: [1, -1], into: out) == 32 + 2 + 3)
        }
    }

    /// What the writers produce decodes to what was written (the decoder is the independent side).
    @Test func labelAndRegimeRoundTripThroughTheDecoder() throws {
        let label = WireEncoder.binaryLabel(symbol: "ESZ4", horizon: 10, eventTime: -7, sequence: 9, classIndex: 2,
                                            classCount: 3, forwardReturn: -0.0125, exitTime: 99)
        #expect(label.count == 48 + 4)
        #expect(label[4] == 2 && label[5] == 3 && label[6] == 4)
        #expect(Array(label[40..<48]) == [99, 0, 0, 0, 0, 0, 0, 0])
        let regime = WireEncoder.binaryRegime(symbol: "SPX", eventTime: 3, sequence: 4, values: [1, -1])
        #expect(regime[3] == 5 && regime[4] == 2 && regime[5] == 3)
        #expect(Array(regime[32..<34]) == [1, 0xFF])
    }
}
