import Foundation
import Logging
import StackdClock
import StackdCore
import StackdJournal
import StackdZMQ

/// N pipelines on N threads inside one daemon (`ingest.shards = N`, N > 1; bench/SCALING.md §5),
/// built and stopped by `LiveRunner`, which keeps the outer sockets, the metrics snapshot and the
/// service duties on its own thread.
///
/// Each symbol belongs to one pipeline (``ShardRouter``), so a symbol's predictions, labels and
/// rows meet in one pipeline and its outputs leave in the order one pipeline would emit them.
/// Feeding: with `stream.symbols` set and a connecting input, each pipeline has its own SUB
/// socket subscribed to its symbols' prefixes (the publishers demultiplex; no shared state);
/// otherwise one ``ShardReceiver`` routes by hash into one ``SPSCRing`` per pipeline. Outputs: a
/// per-pipeline inproc XPUB and one ``OutputForwarder`` to the configured output socket.
///
/// Recording (`[record]`): the receive thread records every message in arrival order into the
/// daemon's one ``JournalRecorder``, as the single ingest loop does; the per-pipeline sockets
/// are not used then (``perPipelinePrefixes(_:)``), since N sockets have no one arrival order.
/// The stop marker carries the one stop time every pipeline advances to before its drain.
final class ShardedIngest: @unchecked Sendable {
    let shards: [PipelineShard]
    let receiver: ShardReceiver?
    let forwarder: OutputForwarder
    private let frontend: ZMQSocket
    private let logger: Logger
    /// The input journal, fed by the receive thread (`[record]`), or nil.
    private let recorder: JournalRecorder?

    /// How the daemon feeds its pipelines for `configuration`: per-pipeline topic prefixes, or nil
    /// for the receive thread and rings. With `[record]` always the receive thread: the journal
    /// is the input in the order the daemon received it, which exists only where one socket
    /// receives everything (N sockets' messages have no order between them).
    static func perPipelinePrefixes(_ configuration: DaemonConfiguration) -> [[String]]? {
        let n = configuration.ingestShards
        let symbols = configuration.pipeline.symbols
        guard n > 1, !symbols.isEmpty, configuration.input.bind.isEmpty, configuration.recordDirectory == nil else { return nil }
        var owned = [[String]](repeating: [], count: n)
        for s in symbols { owned[ShardRouter.pipeline(ofSymbol: s, pipelines: n)].append(s) }
        var prefixes: [[String]] = []
        for symbols in owned {
            guard let p = ShardRouter.topicPrefixes(symbols: symbols, subscriptions: configuration.inputSubscriptions) else { return nil }
            prefixes.append(p)
        }
        return prefixes
    }

    /// Builds the pipelines and their sockets. `input` is the daemon's configured input socket
    /// (already subscribed, bound and connected): pipeline 0's own socket when `prefixes` is set
    /// (subscribed to pipeline 0's prefixes only), else the receive thread's.
    /// `firstPipeline` becomes pipeline 0's (the runner's own, already built and loaded).
    init(configuration: DaemonConfiguration, context: ZMQContext, input: ZMQSocket, output: ZMQSocket,
         prefixes: [[String]]?, firstPipeline: StackingPipeline, training: ShardedTraining?, recorder: JournalRecorder?,
         logger: Logger) throws {
        self.logger = logger
        // The journal's producer must be the one thread that sees every message.
        precondition(recorder == nil || prefixes == nil, "recording needs the receive thread")
        self.recorder = recorder
        let n = configuration.ingestShards
        var shards: [PipelineShard] = []
        var extraInputs: [ZMQSocket] = []
        let frontend = try ZMQSocket(context: context, type: .xsub)
        do {
            var rings: [SPSCRing] = []
            for i in 0..<n {
                let source: PipelineShard.Source
                if let prefixes {
                    if i == 0 {
                        source = .socket(input)
                    } else {
                        // The input socket's settings with this pipeline's prefixes. No security hook:
                        // per-pipeline sockets exist only when the input connects, which CURVE refuses.
                        let socket = try ZMQSocket.make(context: context, type: .sub, settings: ZMQSocketSettings(
                            lingerMilliseconds: 0, receiveHighWaterMark: Int32(configuration.input.receiveHighWaterMark),
                            maxMessageSize: Int64(configuration.pipeline.maxPayloadBytes) + LiveRunner.oversizeMargin,
                            subscriptions: prefixes[i]))
                        extraInputs.append(socket)
                        for e in configuration.input.connect {
                            do { try socket.connect(e) } catch { throw StartupError.endpoint("input.connect", e, error) }
                        }
                        source = .socket(socket)
                    }
                } else {
                    let ring = SPSCRing(capacity: SPSCRing.capacity(receiveHighWaterMark: configuration.input.receiveHighWaterMark))
                    rings.append(ring)
                    source = .ring(ring)
                }
                shards.append(try PipelineShard(index: i, configuration: configuration, context: context, source: source,
                                                pipeline: i == 0 ? firstPipeline : nil, training: training, logger: logger))
            }
            for shard in shards { try frontend.connect(shard.outputEndpoint) }
            forwarder = try OutputForwarder(frontend: frontend, backend: output, logger: logger)
            for shard in shards where !shard.waitForForwarder(timeoutMilliseconds: 5000) {
                throw ShardStartError(message: "pipeline \(shard.index)'s output socket never saw the output forwarder's subscription")
            }
            receiver = prefixes == nil
                ? ShardReceiver(input: input, rings: rings, recorder: recorder, logger: logger,
                                rejectsPerSecond: configuration.rejectLogPerSecond) : nil
        } catch {
            for shard in shards { shard.output.close() }
            for socket in extraInputs { socket.close() }
            frontend.close()
            throw error
        }
        self.shards = shards
        self.frontend = frontend
    }

    /// Starts the forwarder, then the pipelines, then the receive thread (consumers first).
    func start() {
        forwarder.start()
        for shard in shards { shard.start() }
        receiver?.start()
    }

    /// Stops in the order that loses nothing already received: the receive thread, then the
    /// pipelines (each handles its ring, then, at one stop time taken once every loop has ended,
    /// fires the deadlines due and drains), then the forwarder once it has relayed everything they
    /// published; then closes the sockets this owns. With `[record]` the journal's stop marker
    /// carries that stop time, recorded here once the receive thread has ended (so the journal
    /// keeps one producer at a time); the recorder itself is closed by the runner.
    func stop(timeout: TimeInterval) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        let receiverStopped = receiver?.stop(timeout: max(0, deadline.timeIntervalSinceNow)) ?? true
        var clean = receiverStopped
        for shard in shards { shard.requestStop() }
        for shard in shards { clean = shard.waitUntilLoopEnded(deadline: deadline) && clean }
        let stopTime = Int64(MonotonicClock.nanoseconds())
        if receiverStopped { recorder?.record(frames: EmptyCollection<UnsafeRawBufferPointer>(), receivedAt: stopTime) }
        for shard in shards { shard.finish(at: stopTime) }
        for shard in shards { clean = shard.waitUntilFinished(deadline: deadline) && clean }
        let parts = shards.map { $0.snapshot() }
        let published = parts.reduce(0) { $0 + $1.published + $1.alertsPublished }
        clean = forwarder.finish(published: published, timeout: max(0.1, deadline.timeIntervalSinceNow)) && clean
        for shard in shards { shard.close() }
        frontend.close()
        return clean
    }

    /// Closes the sockets of ingest that was never started (a later start-up step failed).
    func closeUnstarted() {
        for shard in shards { shard.close() }
        frontend.close()
    }

    func setRejectLogPerSecond(_ rate: Int) {
        for shard in shards { shard.setRejectLogPerSecond(rate) }
        receiver?.setRejectLogPerSecond(rate)
    }

    /// The daemon's snapshot: the pipelines' parts summed (see ``RunnerSnapshot/merging``), with
    /// what the receive thread and the forwarder counted.
    func snapshot() -> RunnerSnapshot {
        var s = RunnerSnapshot.merging(shards.map { $0.snapshot() })
        if let receiver {
            s.messagesReceived = receiver.received
            if let framing = RejectReason.allCases.firstIndex(of: .framing) { s.counters.rejected[framing] += receiver.framingRejects }
            s.ringDrops = receiver.rings.map(\.dropped)
            s.journalStallNanoseconds = receiver.journalStallNanoseconds
        }
        s.published -= forwarder.outputsRefused
        s.sendFailuresHighWaterMark += forwarder.sendFailuresHighWaterMark
        s.sendFailuresError += forwarder.sendFailuresError
        s.sendFailures = s.sendFailuresHighWaterMark + s.sendFailuresError
        s.outputSubscriptions = forwarder.subscriptions
        return s
    }
}

/// A daemon with several pipelines could not wire them together (exit code 70: a fault of the
/// daemon or of libzmq, not of the configuration).
struct ShardStartError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
