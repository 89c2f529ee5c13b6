import Histogram
import StackdCore
import StackdSystemd
import StackdZMQ

/// Encodes each ensemble output into preallocated buffers and publishes it without waiting:
/// a slow subscriber loses messages at its high-water mark instead of slowing ingest. The output
/// socket is an XPUB with `ZMQ_XPUB_NODROP`, so such a loss is an EAGAIN counted here
/// (`sendFailuresHighWaterMark`), never a silent drop; any other send error is counted apart.
///
/// A class, not a struct, so that handing it to the pipeline copies a reference: a struct
/// holding the latency histogram would copy its counts on every hand-over.
final class EnsemblePublisher: EnsembleOutputHandler {
    let socket: ZMQSocket
    let encoding: PayloadEncoding
    let modelNames: [String]
    private let topic: UnsafeMutableRawBufferPointer
    private let payload: UnsafeMutableRawBufferPointer
    /// Emission latency: receive of the completing message → output handed to ZeroMQ, in ns.
    private(set) var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    /// Exact sum of the recorded latencies, in ns: the mean for snapshots and the metrics' `_sum`.
    /// `Histogram.mean` walks every recorded bucket through unspecialised generic code (≈ 3 M
    /// instructions per 100 ms snapshot, more than the messages of that snapshot cost).
    private(set) var latencySumNanoseconds: UInt64 = 0
    private(set) var published = 0
    /// Running digest of the outputs, comparable with `stackd replay`'s.
    private(set) var digest = OutputDigest()
    /// Messages (outputs and alerts) the socket refused because a subscriber was at its
    /// high-water mark, and those refused for any other error.
    private(set) var sendFailuresHighWaterMark = 0
    private(set) var sendFailuresError = 0
    var sendFailures: Int { sendFailuresHighWaterMark + sendFailuresError }
    /// Where retrain requests go (the training worker); nil when training is off.
    var trainingSink: ((TrainingRequest) -> Void)?
    /// Where labelled rows go (the durable window); nil when state is in memory only.
    var labeledRowSink: ((LabeledRow) -> Void)?
    /// Where emitted rows go to await their label durably (the awaiting-rows log), with the
    /// emission's monotonic time; nil when state is in memory only.
    var emittedRowSink: ((EnsembleEmission, Int64) -> Void)?

    /// Bytes of the preallocated binary payload: the largest output (K = 16, a 64-byte symbol and
    /// the contributions block of 64 models) is 56 + 128 + 64 + 4 + 8 · 66 = 780.
    static let payloadCapacity = 1024

    init(socket: ZMQSocket, encoding: PayloadEncoding, modelNames: [String]) {
        self.socket = socket
        self.encoding = encoding
        self.modelNames = modelNames
        topic = .allocate(byteCount: 128, alignment: 8)
        payload = .allocate(byteCount: Self.payloadCapacity, alignment: 8)
    }

    deinit {
        topic.deallocate()
        payload.deallocate()
    }

    func emit(_ e: EnsembleEmission) {
        let now = MonotonicClock.nanoseconds()
        let latencyNs = now > UInt64(e.lastArrival) ? now - UInt64(e.lastArrival) : 0
        let topicLength = Topic.writeEnsemble(symbol: e.symbol, horizon: e.horizon, into: topic)
        let outcome: SendOutcome
        switch encoding {
        case .binary:
            let n = WireEncoder.writeBinaryEnsemble(e, latencyNanoseconds: latencyNs, into: payload)
            outcome = send(topic: UnsafeRawBufferPointer(rebasing: topic[0..<topicLength]),
                           payload: UnsafeRawBufferPointer(rebasing: payload[0..<n]))
        case .json:
            var json = WireEncoder.jsonEnsemble(e, modelNames: modelNames, latencyNanoseconds: latencyNs)
            outcome = json.withUTF8 { bytes in
                send(topic: UnsafeRawBufferPointer(rebasing: topic[0..<topicLength]), payload: UnsafeRawBufferPointer(bytes))
            }
        }
        if outcome == .sent { published += 1 }
        latency.record(latencyNs)
        latencySumNanoseconds &+= latencyNs
        digest.add(e, scratch: payload)
        emittedRowSink?(e, Int64(now))
    }

    enum SendOutcome { case sent, highWaterMark, error }

    /// One non-blocking send, counted by outcome (false from the socket is EAGAIN: the
    /// high-water mark under `ZMQ_XPUB_NODROP`).
    private func send(topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) -> SendOutcome {
        do {
            if try socket.send(topic: topic, payload: payload, dontWait: true) { return .sent }
            sendFailuresHighWaterMark += 1
            return .highWaterMark
        } catch {
            sendFailuresError += 1
            return .error
        }
    }

    func rowLabeled(_ row: LabeledRow) { labeledRowSink?(row) }

    /// Alerts are rare: published as JSON on `alert.<kind>` beside the outputs, and logged.
    private(set) var alertsPublished = 0
    var alertLog: ((Alert) -> Void)?
    func alert(_ alert: Alert) {
        var json = alert.json
        var topic = alert.kind.topic
        let outcome = topic.withUTF8 { t in
            json.withUTF8 { payload in send(topic: UnsafeRawBufferPointer(t), payload: UnsafeRawBufferPointer(payload)) }
        }
        if outcome == .sent { alertsPublished += 1 }
        alertLog?(alert)
    }

    func trainingDue(_ request: TrainingRequest) { trainingSink?(request) }
}
