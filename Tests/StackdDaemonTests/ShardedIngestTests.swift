import Foundation
@testable import StackdDaemon
import StackdZMQ
import XCTest

/// The parts of `ingest.shards` that need no daemon: the symbol → pipeline rule against values
/// computed independently (Python, in ShardRouter's doc comment), the per-pipeline prefixes, the
/// configuration refusals, and the SPSC ring (order, a full ring drops and counts, frames moved
/// without a copy, a parked consumer woken). The daemons themselves: tests/python/test_ingest_shards.py.
final class ShardedIngestTests: XCTestCase {
    /// `fmix64(FNV-1a-64(symbol)) mod N`; the hashes and residues come from the Python function.
    func testSymbolToPipelineMatchesTheDocumentedRule() {
        let expected: [(String, [Int])] = [("AAPL", [1, 2, 3, 7]), ("MSFT", [1, 1, 3, 3]), ("AB", [1, 0, 1, 13]),
                                           ("ABC", [1, 2, 1, 5]), ("", [0, 2, 2, 6])]
        XCTAssertEqual(SymbolShardHash.fnv1a64("AAPL"), 0x8910_6b8b_9f08_6ccb)
        XCTAssertEqual(ShardRouter.mix(SymbolShardHash.fnv1a64("AAPL")), 0x59ab_e90c_82fc_3687)
        // The benchmark's names, which differ in their last characters, spread (30 and 34 over 2).
        let spread = (0..<64).reduce(into: [0, 0]) { $0[ShardRouter.pipeline(ofSymbol: String(format: "SYM%05d", $1), pipelines: 2)] += 1 }
        XCTAssertEqual(spread, [30, 34])
        for (symbol, pipelines) in expected {
            for (n, want) in zip([2, 3, 4, 16], pipelines) {
                XCTAssertEqual(ShardRouter.pipeline(ofSymbol: symbol, pipelines: n), want, "\(symbol) over \(n)")
                // The receive thread hashes the topic's symbol segment, for every kind of topic.
                for topic in ["pred.\(symbol).5.xgb", "label.\(symbol).5", "regime.\(symbol)"] {
                    let got = Array(topic.utf8).withUnsafeBytes { ShardRouter.pipeline(ofTopic: $0, pipelines: n) }
                    XCTAssertEqual(got, want, topic)
                }
            }
        }
        XCTAssertEqual(Array("nodots".utf8).withUnsafeBytes { ShardRouter.pipeline(ofTopic: $0, pipelines: 4) }, 0,
                       "a topic without a symbol segment goes to pipeline 0, which rejects it")
        XCTAssertEqual(ShardRouter.pipeline(ofSymbol: "AAPL", pipelines: 1), 0)
    }

    func testPerPipelinePrefixesOnlyWhenTheSymbolsAreKnownAndTheInputConnects() throws {
        var c = DaemonConfiguration(pipeline: .init(models: ["a", "b"], horizons: [5]))
        c.ingestShards = 2
        c.input.connect = ["ipc:///tmp/x"]
        XCTAssertNil(ShardedIngest.perPipelinePrefixes(c), "no symbols: the receive thread and rings")
        c.pipeline.symbols = ["AAPL", "MSFT", "AB", "ABC"]
        let prefixes = try XCTUnwrap(ShardedIngest.perPipelinePrefixes(c))
        // AAPL, MSFT, AB and ABC → 1 over 2 (table above): pipeline 0 owns none of them.
        XCTAssertEqual(prefixes[0], [])
        XCTAssertEqual(Set(prefixes[1]), ["pred.AAPL.", "label.AAPL.", "pred.MSFT.", "label.MSFT.", "pred.AB.", "label.AB.",
                                          "pred.ABC.", "label.ABC."])
        c.ingestShards = 3
        let three = try XCTUnwrap(ShardedIngest.perPipelinePrefixes(c))
        XCTAssertEqual(three.map(Set.init), [["pred.AB.", "label.AB."], ["pred.MSFT.", "label.MSFT."],
                                             ["pred.AAPL.", "label.AAPL.", "pred.ABC.", "label.ABC."]])
        c.input.bind = ["ipc:///tmp/y"]
        XCTAssertNil(ShardedIngest.perPipelinePrefixes(c), "a bound input is one socket: rings")
        c.input.bind = []
        c.pipeline.regimeNames = ["vol"]
        XCTAssertNil(ShardedIngest.perPipelinePrefixes(c), "regime.<symbol> has no closing dot: rings")
        c.pipeline.regimeNames = []
        c.recordDirectory = "/tmp/journal"
        XCTAssertNil(ShardedIngest.perPipelinePrefixes(c), "[record]: the receive thread records in arrival order")
        c.recordDirectory = nil
        XCTAssertNotNil(ShardedIngest.perPipelinePrefixes(c))
        c.ingestShards = 1
        XCTAssertNil(ShardedIngest.perPipelinePrefixes(c), "one pipeline: today's socket and subscriptions")
    }

    func testSeveralPipelinesRetrainByEventTimesRecordWithoutRetrainsAndRefuseLabelSchedulesAndState() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shards-\(UUID().uuidString)").path
        let base = """
        [models]
        names = ["a", "b"]
        [stream]
        horizons = [5]
        [input]
        connect = ["ipc://\(dir)/in"]
        [output]
        bind = ["ipc://\(dir)/out"]
        [ingest]
        shards = 2

        """
        XCTAssertNoThrow(try ConfigurationLoader.parse(base, source: "c.toml"))
        // Retraining by event times trains on the pipelines' merged window (ShardedTraining).
        XCTAssertNoThrow(try ConfigurationLoader.parse(base + "[retrain]\nevery_event_times = 10\n", source: "c.toml"))
        // The receive thread records the input (ShardedIngest); retrains are not scheduled then.
        XCTAssertNoThrow(try ConfigurationLoader.parse(base + "[record]\ndirectory = \"\(dir)/r\"\n", source: "c.toml"))
        let cases: [(String, String)] = [
            ("[retrain]\nevery_labels = 10\n", "retrain.every_labels = 0 and retrain.every_event_seconds = 0"),
            ("[retrain]\nevery_event_times = 10\nevery_event_seconds = 5\n", "retrain.every_labels = 0 and retrain.every_event_seconds = 0"),
            ("[learner]\nchallengers = [\"logistic\"]\n", "learner.challengers empty"),
            ("[monitoring]\nretrain_on_alert = true\n", "monitoring.retrain_on_alert = false"),
            ("[state]\ndirectory = \"\(dir)/s\"\n", "[state] directory unset"),
            ("[record]\ndirectory = \"\(dir)/r\"\n[retrain]\nevery_event_times = 10\n",
             "retrain.every_event_times = 0 with [record] directory set"),
        ]
        for (extra, why) in cases {
            XCTAssertThrowsError(try ConfigurationLoader.parse(base + extra, source: "c.toml")) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("c.toml:10: ingest.shards: more than one pipeline needs \(why)"), text)
            }
            XCTAssertNoThrow(try ConfigurationLoader.parse(base.replacingOccurrences(of: "shards = 2", with: "shards = 1") + extra,
                                                           source: "c.toml"), "one pipeline allows \(why)")
        }
        XCTAssertThrowsError(try ConfigurationLoader.parse(base.replacingOccurrences(of: "shards = 2", with: "shards = 65"),
                                                           source: "c.toml"))
    }

    /// Each pipeline's window segment stays its own in the merged snapshot and on /metrics, by
    /// pipeline and horizon (hand-made parts: 3 and 7 rows at horizon 5, 0 and 2 at horizon 10).
    func testMergedSnapshotShowsEachPipelinesWindowRows() {
        func part(_ rows: [Int]) -> RunnerSnapshot {
            var s = RunnerSnapshot(horizonCount: 2)
            s.horizons = [5, 10]
            s.pipelineWindowRows = [rows]
            return s
        }
        let merged = RunnerSnapshot.merging([part([3, 0]), part([7, 2])])
        XCTAssertEqual(merged.pipelineWindowRows, [[3, 0], [7, 2]])
        let page = MetricsExposition.render(merged, version: "test")
        for line in ["stackd_pipeline_window_rows{pipeline=\"0\",horizon=\"5\"} 3\n",
                     "stackd_pipeline_window_rows{pipeline=\"0\",horizon=\"10\"} 0\n",
                     "stackd_pipeline_window_rows{pipeline=\"1\",horizon=\"5\"} 7\n",
                     "stackd_pipeline_window_rows{pipeline=\"1\",horizon=\"10\"} 2\n"] {
            XCTAssertTrue(page.contains(line), line)
        }
        XCTAssertFalse(MetricsExposition.render(RunnerSnapshot(horizonCount: 2), version: "test").contains("stackd_pipeline_window_rows"),
                       "one pipeline: no per-pipeline family")
    }

    /// Every pipeline preallocates its own buffers, and with rings each has one: the memory bound
    /// counts N of each part and the rings (65 536 slots of ≈ 200 B for an unbounded input queue).
    func testPreallocationCountsEveryPipelineAndItsRing() {
        var c = DaemonConfiguration(pipeline: .init(models: ["a", "b"], horizons: [5]))
        c.input.receiveHighWaterMark = 0
        let one = PreallocationEstimate(c)
        c.ingestShards = 4
        let four = PreallocationEstimate(c)
        for (a, b) in zip(one.parts, four.parts) {
            XCTAssertEqual(a.key, b.key)
            XCTAssertEqual(b.bytes, 4 * a.bytes, a.key)
        }
        XCTAssertEqual(four.parts.last?.key, "ingest.shards")
        XCTAssertEqual(four.parts.last?.bytes, 4 * 65_536 * 200)
        XCTAssertEqual(SPSCRing.capacity(receiveHighWaterMark: 10), 1024)
        XCTAssertEqual(SPSCRing.capacity(receiveHighWaterMark: 5000), 5000)
        XCTAssertEqual(SPSCRing(capacity: 5000).capacity, 8192)
    }

    // MARK: - The ring

    /// Frames to push: received from an inproc PAIR, as the receive thread receives them.
    private final class FrameSource: @unchecked Sendable {
        let context: ZMQContext
        let sender: ZMQSocket
        let receiver: ZMQSocket
        init() throws {
            context = try ZMQContext()
            sender = try ZMQSocket(context: context, type: .pair)
            receiver = try ZMQSocket(context: context, type: .pair)
            let endpoint = "inproc://ring-\(UUID().uuidString)"
            try receiver.bind(endpoint)
            try sender.connect(endpoint)
        }
        func next(_ topic: String, _ payload: String, into t: ZMQMessage, _ p: ZMQMessage) throws {
            _ = try sender.send(Array(topic.utf8), more: true)
            _ = try sender.send(Array(payload.utf8))
            XCTAssertTrue(try receiver.receive(into: t))
            XCTAssertTrue(try receiver.receive(into: p))
        }
        func close() {
            sender.close()
            receiver.close()
            context.terminate()
        }
    }

    func testRingKeepsOrderDropsWhenFullAndMovesTheFrames() throws {
        let source = try FrameSource()
        defer { source.close() }
        let ring = SPSCRing(capacity: 3)
        XCTAssertEqual(ring.capacity, 4, "rounded up to a power of two")
        let topic = ZMQMessage(), payload = ZMQMessage()
        for i in 0..<4 {
            try source.next("pred.S\(i).5.a", "payload-\(i)", into: topic, payload)
            XCTAssertTrue(ring.push(topic: topic, payload: payload, receivedAt: UInt64(100 + i)))
            XCTAssertEqual(topic.count, 0, "the frame moved into the slot, leaving the message empty")
        }
        try source.next("pred.S4.5.a", "payload-4", into: topic, payload)
        XCTAssertFalse(ring.push(topic: topic, payload: payload, receivedAt: 104), "full: refused, never waits")
        XCTAssertEqual(ring.dropped, 1)
        XCTAssertEqual(topic.string, "pred.S4.5.a", "a refused message stays with the producer")
        var seen: [String] = []
        XCTAssertEqual(ring.consume(limit: 3) { t, p, at in seen.append("\(t.string) \(p.string) \(at)") }, 3)
        XCTAssertTrue(ring.push(topic: topic, payload: payload, receivedAt: 104), "room again once consumed")
        XCTAssertEqual(ring.consume(limit: 10) { t, p, at in seen.append("\(t.string) \(p.string) \(at)") }, 2)
        XCTAssertEqual(seen, (0..<5).map { "pred.S\($0).5.a payload-\($0) \(100 + $0)" })
        XCTAssertEqual(ring.consume(limit: 10) { _, _, _ in XCTFail("empty") }, 0)
        XCTAssertEqual(ring.dropped, 1)
    }

    /// Two threads, a small ring and a consumer that parks when it runs dry: every message
    /// arrives once, in order, or is counted as dropped; none is lost or repeated.
    func testRingAcrossThreadsLosesNothingUncounted() throws {
        let source = try FrameSource()
        defer { source.close() }
        let ring = SPSCRing(capacity: 64)
        let total = 20_000
        let result = ConsumerResult()
        let consumer = Thread {
            var next = 0, received = 0, outOfOrder = 0
            let deadline = Date(timeIntervalSinceNow: 60)
            while Date() < deadline {
                let n = ring.consume(limit: 16) { _, p, at in
                    // In order: each number above the previous one (a gap is a drop), and the
                    // payload is the frame pushed with it.
                    if Int(at) < next || p.string != "\(at)" { outOfOrder += 1 }
                    next = Int(at) + 1
                    received += 1
                }
                if n == 0 {
                    if received + ring.dropped == total { break }
                    ring.park(nanoseconds: 1_000_000)
                }
            }
            result.finish(received: received, outOfOrder: outOfOrder)
        }
        consumer.start()
        let topic = ZMQMessage(), payload = ZMQMessage()
        for i in 0..<total {
            try source.next("pred.S.5.a", "\(i)", into: topic, payload)
            _ = ring.push(topic: topic, payload: payload, receivedAt: UInt64(i))
        }
        let (received, outOfOrder) = try XCTUnwrap(result.wait(seconds: 60), "the consumer finished")
        XCTAssertEqual(outOfOrder, 0)
        XCTAssertEqual(received + ring.dropped, total, "every message is consumed or counted as dropped")
        XCTAssertGreaterThan(received, 0)
    }

    private final class ConsumerResult: @unchecked Sendable {
        private let condition = NSCondition()
        private var value: (Int, Int)?
        func finish(received: Int, outOfOrder: Int) {
            condition.lock(); value = (received, outOfOrder); condition.broadcast(); condition.unlock()
        }
        func wait(seconds: TimeInterval) -> (Int, Int)? {
            let deadline = Date(timeIntervalSinceNow: seconds)
            condition.lock()
            defer { condition.unlock() }
            while value == nil { if !condition.wait(until: deadline) { break } }
            return value
        }
    }
}
