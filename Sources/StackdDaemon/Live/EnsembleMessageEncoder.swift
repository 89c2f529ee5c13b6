import StackdCore

/// The one encode step of every ensemble sender — the live `EnsemblePublisher` and the paced
/// replay's `PacedPublisher`: topic `ens.<symbol>.<horizon>` and the binary or JSON payload
/// (`WireEncoder`), written into buffers this encoder owns, then handed to the sender's `send`.
/// Two senders that encoded on their own could drift apart; this keeps "a replay publishes
/// exactly what live publishes" true by construction.
///
/// The binary path does not allocate (it runs for every output on the ingest thread).
package final class EnsembleMessageEncoder {
    package let encoding: PayloadEncoding
    /// Names for JSON's `present` list, in wire (sorted) order.
    package var modelNames: [String]
    private let topic: UnsafeMutableRawBufferPointer
    private let payload: UnsafeMutableRawBufferPointer
    /// The binary encoding for the digest when the payload sent is JSON.
    private let digestScratch: UnsafeMutableRawBufferPointer

    /// Bytes of the preallocated binary payload: the largest output (K = 16, a 64-byte symbol and
    /// the contributions block of 64 models) is 56 + 128 + 64 + 4 + 8 · 66 = 780.
    static let payloadCapacity = 1024

    package init(encoding: PayloadEncoding, modelNames: [String] = []) {
        self.encoding = encoding
        self.modelNames = modelNames
        topic = .allocate(byteCount: 128, alignment: 8)
        payload = .allocate(byteCount: Self.payloadCapacity, alignment: 8)
        digestScratch = .allocate(byteCount: Self.payloadCapacity, alignment: 8)
    }

    deinit {
        topic.deallocate()
        payload.deallocate()
        digestScratch.deallocate()
    }

    /// Encodes `e` and calls `send` with its topic and payload (borrowed for the call).
    package func withMessage<R>(_ e: EnsembleEmission, latencyNanoseconds: UInt64,
                                _ send: (_ topic: UnsafeRawBufferPointer, _ payload: UnsafeRawBufferPointer) -> R) -> R {
        encode(e, latencyNanoseconds: latencyNanoseconds, digest: nil, send)
    }

    /// As `withMessage`, and folds the output into `digest`. With the binary encoding (and no
    /// contributions block) the digest takes the very bytes sent, read before the latency is
    /// written into them: the latency is the one field a replay cannot reproduce, so digests keep
    /// it zero (`OutputDigest`). With JSON, or with contributions, the digest takes its own binary
    /// encoding, so digests compare outputs whatever encoding and options carried them.
    package func withMessage<R>(_ e: EnsembleEmission, latencyNanoseconds: UInt64, digest: inout OutputDigest,
                                _ send: (_ topic: UnsafeRawBufferPointer, _ payload: UnsafeRawBufferPointer) -> R) -> R {
        withUnsafeMutablePointer(to: &digest) { encode(e, latencyNanoseconds: latencyNanoseconds, digest: $0, send) }
    }

    private func encode<R>(_ e: EnsembleEmission, latencyNanoseconds: UInt64, digest: UnsafeMutablePointer<OutputDigest>?,
                           _ send: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> R) -> R {
        let topicLength = Topic.writeEnsemble(symbol: e.symbol, horizon: e.horizon, into: topic)
        let t = UnsafeRawBufferPointer(rebasing: topic[0..<topicLength])
        switch encoding {
        case .binary:
            let n = WireEncoder.writeBinaryEnsemble(e, latencyNanoseconds: 0, into: payload)
            if let digest {
                // The digest leaves out the optional contributions block (`OutputDigest`): with the
                // block on, the bytes sent are not the bytes digested, so it encodes its own.
                if e.contributions == nil {
                    digest.pointee.add(bytes: UnsafeRawBufferPointer(rebasing: payload[0..<n]))
                } else {
                    digest.pointee.add(e, scratch: digestScratch)
                }
            }
            if latencyNanoseconds != 0 {
                payload.storeBytes(of: latencyNanoseconds.littleEndian, toByteOffset: WireFormat.ensembleLatencyOffset,
                                   as: UInt64.self)
            }
            return send(t, UnsafeRawBufferPointer(rebasing: payload[0..<n]))
        case .json:
            if let digest { digest.pointee.add(e, scratch: digestScratch) }
            var json = WireEncoder.jsonEnsemble(e, modelNames: modelNames, latencyNanoseconds: latencyNanoseconds)
            return json.withUTF8 { send(t, UnsafeRawBufferPointer($0)) }
        }
    }
}
