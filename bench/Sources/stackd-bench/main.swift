// stackd-bench: the stackd live path measured side by side with raw libzmq, in one run.
//
//   stackd-bench live   [--symbols 64] [--messages 2000000] [--rate 100000] [--latency-seconds 4]
//                       [--transports tcp,ipc] [--repeat 3]
//   stackd-bench allocs [--messages 400000]          (run with LD_PRELOAD=alloccount.so)
//
// Every ZeroMQ loop runs on a dedicated Foundation Thread, never in a Swift concurrency task.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Histogram
import Logging
import StackdCore
import StackdDaemon
import StackdZMQ
import Synchronization

// MARK: - Clock, options

@inline(__always) func nowNs() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

struct Options {
    var mode = "live"
    var symbols = 64
    var messages = 2_000_000
    var rate = 100_000
    var latencySeconds = 4.0
    var warmupSeconds = 0.5
    var transports = ["tcp", "ipc"]
    var repeats = 3
    var skipRaw = false
    var skipLatency = false
    var skipThroughput = false
    var allocMessages = 400_000

    init(_ args: [String]) {
        var i = 0
        func next() -> String { i += 1; guard i < args.count else { fatalError("missing value after \(args[i - 1])") }; return args[i] }
        while i < args.count {
            switch args[i] {
            case "live", "allocs", "throughput", "latency": mode = args[i]
            case "--symbols": symbols = Int(next())!
            case "--messages": messages = Int(next())!
            case "--rate": rate = Int(next())!
            case "--latency-seconds": latencySeconds = Double(next())!
            case "--transports": transports = next().split(separator: ",").map(String.init)
            case "--repeat": repeats = Int(next())!
            case "--skip-raw": skipRaw = true
            case "--alloc-messages": allocMessages = Int(next())!
            case "-h", "--help":
                print("usage: stackd-bench [live|throughput|latency|allocs] [--symbols N] [--messages N] [--rate N] [--latency-seconds S] [--transports tcp,ipc] [--repeat N] [--skip-raw] [--alloc-messages N]")
                exit(0)
            default: fatalError("unknown argument \(args[i])")
            }
            i += 1
        }
        if mode == "throughput" { skipLatency = true }
        if mode == "latency" { skipThroughput = true }
    }
}

func log(_ s: String) { FileHandle.standardError.write((s + "\n").data(using: .utf8)!) }

// MARK: - Workload: 4 models × N symbols × 1 horizon, binary predictions

let modelNames = ["lgbm", "logreg", "mlp", "xgb"]
let horizon = 5

/// Pre-encoded messages; each send patches event time (offset 16) and sequence (offset 24) in place.
/// Message i belongs to row i / 4 (event time row + 1, symbol row % N) and model i % 4; the
/// sequence field carries the CLOCK_MONOTONIC send time, so raw consumers can read it back.
final class Workload: @unchecked Sendable {
    let symbolCount: Int
    let topics: [UnsafeRawBufferPointer]
    let payloads: [UnsafeMutableRawBufferPointer]

    init(symbols: Int) {
        symbolCount = symbols
        var topics: [UnsafeRawBufferPointer] = [], payloads: [UnsafeMutableRawBufferPointer] = []
        for s in 0..<symbols {
            let symbol = "SYM\(String(format: "%05d", s))"
            for m in modelNames {
                let t = Array(Topic.prediction(symbol: symbol, horizon: horizon, model: m).utf8)
                let p = WireEncoder.binaryPrediction(model: m, symbol: symbol, horizon: horizon, eventTime: 1,
                                                     sequence: 1, probabilities: [0.2, 0.3, 0.5])
                let tb = UnsafeMutableRawBufferPointer.allocate(byteCount: t.count, alignment: 8)
                tb.copyBytes(from: t)
                let pb = UnsafeMutableRawBufferPointer.allocate(byteCount: p.count, alignment: 8)
                pb.copyBytes(from: p)
                topics.append(UnsafeRawBufferPointer(tb))
                payloads.append(pb)
            }
        }
        self.topics = topics
        self.payloads = payloads
    }

    var meanTopicBytes: Double { Double(topics.map(\.count).reduce(0, +)) / Double(topics.count) }
    var meanPayloadBytes: Double { Double(payloads.map(\.count).reduce(0, +)) / Double(payloads.count) }

    /// Prepares message `i` with send timestamp `stamp`; returns (topic, payload).
    @inline(__always)
    func message(_ i: Int, stamp: UInt64) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer) {
        let row = i >> 2, m = i & 3
        let slot = (row % symbolCount) * 4 + m
        let p = payloads[slot]
        p.storeBytes(of: Int64(row + 1).littleEndian, toByteOffset: 16, as: Int64.self)
        p.storeBytes(of: stamp.littleEndian, toByteOffset: 24, as: UInt64.self)
        return (topics[slot], UnsafeRawBufferPointer(p))
    }
}

/// Send time of each row's completing (4th) message, written by the publisher and read by the
/// consumer of ensemble outputs (by event time). ZeroMQ's queues order the write before the read.
final class Stamps: @unchecked Sendable {
    let p: UnsafeMutablePointer<UInt64>
    let count: Int
    init(rows: Int) { count = rows; p = .allocate(capacity: rows); p.initialize(repeating: 0, count: rows) }
    deinit { p.deallocate() }
}

// MARK: - Cross-thread plumbing

final class Shared: @unchecked Sendable {
    let received = Atomic<Int>(0)
    let started = Atomic<Int>(0)
    let ready = DispatchSemaphore(value: 0)
    let go = DispatchSemaphore(value: 0)
    let done = DispatchSemaphore(value: 0)
    let pubDone = DispatchSemaphore(value: 0)
    let lock = NSLock()
    var endpoint = ""
    var firstSend: UInt64 = 0
    var lastSend: UInt64 = 0
    var lastReceive: UInt64 = 0
    var error: String?
    var e2e = Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)
    var emission = Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)
    var notComplete = 0
    func fail(_ s: String) { lock.lock(); if error == nil { error = s }; lock.unlock() }
}

func startThread(_ name: String, _ body: @escaping @Sendable () -> Void) {
    // Foundation does not set the kernel thread name on Linux; do it so /proc shows it.
    let t = Thread { try? String(name.prefix(15)).write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8); body() }
    t.name = name
    t.stackSize = 1 << 22
    t.start()
}

/// Publisher: XPUB (sends exactly like PUB) connecting to `endpoint`, HWM 0, waits for the
/// subscription (no slow-joiner loss), then waits for `go`, then sends `count` messages,
/// paced at `rate` msg/s (rows of 4 back to back on an absolute schedule) or flat out.
func runPublisher(context: ZMQContext, endpoint: String, work: Workload, count: Int, rate: Int,
                  stamps: Stamps?, shared: Shared) {
    startThread("bench-pub") {
        // Finer sleeps for pacing (Linux timer slack defaults to 50 µs); best effort.
        try? "1".write(toFile: "/proc/thread-self/timerslack_ns", atomically: false, encoding: .utf8)
        do {
            let pub = try ZMQSocket(context: context, type: .xpub)
            try pub.setOption(.sendHighWaterMark, 0)
            try pub.setOption(.lingerMilliseconds, 5000)
            try pub.connect(endpoint)
            guard try pub.waitForSubscriber(timeoutMilliseconds: 5000) != nil else { shared.fail("publisher: no subscriber"); shared.ready.signal(); shared.pubDone.signal(); return }
            shared.ready.signal()
            shared.go.wait()
            let start = nowNs()
            let interval = rate > 0 ? 4_000_000_000 / Double(rate) : 0
            for i in 0..<count {
                if rate > 0, i & 3 == 0 {
                    let due = start + UInt64(Double(i >> 2) * interval)
                    var now = nowNs()
                    if now < due {
                        var ts = timespec(tv_sec: Int(due / 1_000_000_000), tv_nsec: Int(due % 1_000_000_000))
                        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil)
                        now = nowNs()
                    }
                }
                let stamp = nowNs()
                let (t, p) = work.message(i, stamp: stamp)
                if let stamps, i & 3 == 3 { stamps.p[i >> 2] = stamp }
                _ = try pub.send(topic: t, payload: p)
            }
            let end = nowNs()
            shared.lock.lock(); shared.firstSend = start; shared.lastSend = end; shared.lock.unlock()
            shared.done.wait() // keep the socket open until the receiver has everything
            pub.close()
        } catch {
            shared.fail("publisher: \(error)")
            shared.ready.signal()
        }
        shared.pubDone.signal()
    }
}

func ipcPath(_ tag: String) -> String { "ipc:///tmp/stackd-bench-\(getpid())-\(tag).ipc" }

// MARK: - Raw libzmq baseline

struct RunResult {
    var inRate = 0.0, outRate = 0.0
    var sent = 0, received = 0, outputs = 0, rejects = 0, emittedComplete = 0, notComplete = 0
    var e2e: [UInt64] = [], emission: [UInt64] = []  // p50, p99, p99.9 in ns
    var ok = true, note = ""
    var achievedRate = 0.0
}

func percentiles(_ h: Histogram<UInt64>) -> [UInt64] { [h.valueAtPercentile(50), h.valueAtPercentile(99), h.valueAtPercentile(99.9)] }

/// PUB → SUB across two threads, separate contexts (one I/O thread each, like two processes).
/// The SUB binds and the publisher connects: the same topology as publisher → stackd.
func runRaw(transport: String, work: Workload, count: Int, rate: Int, warmupMessages: Int) -> RunResult {
    let shared = Shared()
    let subContext = try! ZMQContext(), pubContext = try! ZMQContext()
    let bindEndpoint = transport == "tcp" ? "tcp://127.0.0.1:*" : ipcPath("raw")
    let subReady = DispatchSemaphore(value: 0)
    startThread("bench-raw-sub") {
        do {
            let sub = try ZMQSocket(context: subContext, type: .sub)
            try sub.setOption(.receiveHighWaterMark, 0)
            try sub.setOption(.lingerMilliseconds, 0)
            try sub.setOption(.receiveTimeoutMilliseconds, 5000)
            try sub.subscribe(prefix: "pred.")
            try sub.bind(bindEndpoint)
            shared.lock.lock(); shared.endpoint = try sub.lastEndpoint; shared.lock.unlock()
            subReady.signal()
            let topic = ZMQMessage(), payload = ZMQMessage()
            var n = 0
            var e2e = Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)
            while n < count {
                guard try sub.receive(into: topic), topic.hasMore, try sub.receive(into: payload) else {
                    shared.fail("raw subscriber: timeout or framing after \(n) messages"); break
                }
                let now = nowNs()
                n += 1
                if rate > 0, n & 3 == 0, n > warmupMessages {
                    let stamp = payload.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 24, as: UInt64.self)) }
                    e2e.record(now > stamp ? now - stamp : 0)
                }
            }
            let end = nowNs()
            shared.received.store(n, ordering: .relaxed)
            shared.lock.lock(); shared.lastReceive = end; shared.e2e = e2e; shared.lock.unlock()
            sub.close()
        } catch {
            shared.fail("raw subscriber: \(error)")
            subReady.signal()
        }
        shared.done.signal()
    }
    subReady.wait()
    runPublisher(context: pubContext, endpoint: shared.endpoint, work: work, count: count, rate: rate, stamps: nil, shared: shared)
    shared.ready.wait()
    shared.go.signal()
    shared.pubDone.wait()
    subContext.terminate(); pubContext.terminate()
    var r = RunResult()
    r.sent = count
    r.received = shared.received.load(ordering: .relaxed)
    let secs = Double(shared.lastReceive &- shared.firstSend) / 1e9
    r.inRate = Double(r.received) / secs
    r.achievedRate = Double(count) / (Double(shared.lastSend &- shared.firstSend) / 1e9)
    if rate > 0 { r.e2e = percentiles(shared.e2e) }
    r.ok = shared.error == nil && r.received == count
    r.note = shared.error ?? (r.received == count ? "" : "received \(r.received) of \(count)")
    return r
}

// MARK: - stackd live path

func stackdConfiguration(input: String, output: String, recordDirectory: String? = nil, recordCompress: Bool = true) throws -> DaemonConfiguration {
    try ConfigurationLoader.parse("""
    [models]
    names = ["lgbm", "logreg", "mlp", "xgb"]
    classes = 3
    [stream]
    horizons = [5]
    symbols = []
    max_symbols = 4096
    [input]
    bind = ["\(input)"]
    topics = ["pred.", "label."]
    receive_hwm = 0
    [output]
    bind = ["\(output)"]
    encoding = "binary"
    send_hwm = 0
    [assembly]
    deadline_ms = 50
    min_models = 2
    [log]
    level = "warning"
    """ + (recordDirectory.map { "\n[record]\ndirectory = \"\($0)\"\ncompress = \(recordCompress)\n" } ?? ""), source: "<stackd-bench>")
}

/// Allocation probe for the live run: per-thread counts from the LD_PRELOAD shim.
struct AllocProbe {
    typealias SlotsFn = @convention(c) () -> Int32
    typealias TidFn = @convention(c) (Int32) -> Int
    typealias CountFn = @convention(c) (Int32) -> UInt64
    let slots: SlotsFn, tid: TidFn, allocs: CountFn

    static func load() -> AllocProbe? {
        let h = dlopen(nil, RTLD_NOW)
        guard let s = dlsym(h, "alloccount_slots"), let t = dlsym(h, "alloccount_tid"), let a = dlsym(h, "alloccount_allocs") else { return nil }
        return AllocProbe(slots: unsafeBitCast(s, to: SlotsFn.self), tid: unsafeBitCast(t, to: TidFn.self), allocs: unsafeBitCast(a, to: CountFn.self))
    }

    /// (thread name, allocations) for every thread that allocated.
    func sample() -> [(String, UInt64)] {
        (0..<slots()).map { s in
            let tid = tid(s)
            let name = (try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "exited"
            return ("\(name)#\(tid)", allocs(s))
        }
    }
}

struct LiveAllocs { var ingestPerMessage = 0.0, processPerMessage = 0.0, messages = 0, perThread: [(String, Double)] = [] }

/// Publisher thread → the real LiveRunner (its own context and ingest thread) → consumer thread.
func runStackd(transport: String, work: Workload, count: Int, rate: Int, warmupMessages: Int,
               probe: AllocProbe? = nil, allocResult: UnsafeMutablePointer<LiveAllocs>? = nil,
               recordDirectory: String? = nil, recordCompress: Bool = true) -> RunResult {
    let rows = count / 4
    let shared = Shared()
    let stamps = Stamps(rows: rows)
    var logger = Logger(label: "stackd-bench")
    logger.logLevel = .warning
    let config = try! stackdConfiguration(input: transport == "tcp" ? "tcp://127.0.0.1:*" : ipcPath("in"),
                                          output: transport == "tcp" ? "tcp://127.0.0.1:*" : ipcPath("out"),
                                          recordDirectory: recordDirectory, recordCompress: recordCompress)
    let runner = try! LiveRunner(configuration: config, logger: logger)
    runner.start()
    let consumerContext = try! ZMQContext(), pubContext = try! ZMQContext()
    let outputEndpoint = runner.outputEndpoints[0]
    let warmupRows = warmupMessages / 4
    startThread("bench-consumer") {
        do {
            let sub = try ZMQSocket(context: consumerContext, type: .sub)
            try sub.setOption(.receiveHighWaterMark, 0)
            try sub.setOption(.lingerMilliseconds, 0)
            try sub.setOption(.receiveTimeoutMilliseconds, 5000)
            try sub.subscribe(prefix: "ens.")
            try sub.connect(outputEndpoint)
            let topic = ZMQMessage(), payload = ZMQMessage()
            var n = 0, notComplete = 0
            var e2e = Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)
            var emission = Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)
            // A receive timeout (5 s) ends a stalled run; timeouts before the start are tolerated.
            while n < rows {
                guard try sub.receive(into: topic), topic.hasMore, try sub.receive(into: payload) else {
                    if n == 0 && !shared.isStarted { continue }
                    shared.fail("consumer: timeout or framing after \(n) outputs"); break
                }
                let now = nowNs()
                n += 1
                shared.received.store(n, ordering: .relaxed)
                let (eventTime, latency, completion) = payload.withUnsafeBytes { b in
                    (Int(Int64(littleEndian: b.loadUnaligned(fromByteOffset: 16, as: Int64.self))),
                     UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 40, as: UInt64.self)), b[50])
                }
                if completion != 0 { notComplete += 1 }
                if eventTime > warmupRows, eventTime <= rows {
                    if rate > 0 {
                        let stamp = stamps.p[eventTime - 1]
                        e2e.record(now > stamp ? now - stamp : 0)
                    }
                    emission.record(latency)
                }
            }
            let end = nowNs()
            shared.lock.lock(); shared.lastReceive = end; shared.e2e = e2e; shared.emission = emission
            shared.notComplete = notComplete; shared.lock.unlock()
            sub.close()
        } catch {
            shared.fail("consumer: \(error)")
        }
        shared.done.signal()
    }
    runPublisher(context: pubContext, endpoint: runner.inputEndpoints[0], work: work, count: count, rate: rate,
                 stamps: stamps, shared: shared)
    shared.ready.wait()
    var r = RunResult()
    if !runner.wait(timeout: 5, until: { $0.outputSubscriptions > 0 }) { shared.fail("stackd output never saw the consumer subscribe") }
    shared.markStarted()
    shared.go.signal()
    if let probe, let allocResult {
        // Steady-state window: from 25% to 90% of the rows consumed (after warm-up).
        func waitFor(_ fraction: Double) { while Double(shared.received.load(ordering: .relaxed)) < fraction * Double(rows), shared.error == nil { usleep(2000) } }
        waitFor(0.25)
        let a = probe.sample(); let c0 = shared.received.load(ordering: .relaxed)
        waitFor(0.90)
        let b = probe.sample(); let c1 = shared.received.load(ordering: .relaxed)
        let messages = (c1 - c0) * 4
        var perThread: [(String, Double)] = []
        var total: UInt64 = 0, ingest: UInt64 = 0
        for (name, after) in b {
            let before = a.first { $0.0 == name }?.1 ?? 0
            let d = after - before
            total += d
            // LiveRunner's ingest thread: the only unnamed thread besides main (Foundation leaves
            // the kernel name at the process name; our threads name themselves bench-*).
            if name.hasPrefix("stackd-bench#"), !name.hasSuffix("#\(getpid())") { ingest += d }
            if d > 0 { perThread.append((name, Double(d) / Double(messages))) }
        }
        allocResult.pointee = LiveAllocs(ingestPerMessage: Double(ingest) / Double(messages),
                                         processPerMessage: Double(total) / Double(messages), messages: messages, perThread: perThread)
    }
    shared.pubDone.wait()
    _ = runner.wait(timeout: 3, until: { $0.messagesReceived >= count })
    runner.requestStop()
    runner.waitUntilFinished(timeout: 10)
    consumerContext.terminate(); pubContext.terminate()
    let s = runner.snapshot()
    r.sent = count
    r.received = s.messagesReceived
    r.outputs = shared.received.load(ordering: .relaxed)
    r.rejects = s.counters.totalRejected
    r.emittedComplete = s.counters.rowsEmitted[Int(RowCompletion.complete.rawValue)]
    r.notComplete = shared.notComplete
    let secs = Double(shared.lastReceive &- shared.firstSend) / 1e9
    r.inRate = Double(s.messagesReceived) / secs
    r.outRate = Double(r.outputs) / secs
    r.achievedRate = Double(count) / (Double(shared.lastSend &- shared.firstSend) / 1e9)
    if rate > 0 { r.e2e = percentiles(shared.e2e) }
    r.emission = percentiles(shared.emission)
    var problems: [String] = []
    if let e = shared.error { problems.append(e) }
    if r.received != count { problems.append("daemon received \(r.received) of \(count)") }
    if r.outputs != rows { problems.append("consumer got \(r.outputs) of \(rows) rows") }
    if r.rejects != 0 { problems.append("\(r.rejects) rejects") }
    if r.emittedComplete != rows { problems.append("\(r.emittedComplete) of \(rows) rows complete") }
    if s.published != rows { problems.append("published \(s.published)") }
    r.ok = problems.isEmpty
    r.note = problems.joined(separator: "; ")
    return r
}

extension Shared {
    var isStarted: Bool { started.load(ordering: .acquiring) != 0 }
    func markStarted() { started.store(1, ordering: .releasing) }
}


// MARK: - Allocations of the pipeline alone (in-process, no ZeroMQ)

/// Mirrors EnsemblePublisher (internal to StackdDaemon) minus the ZeroMQ send and histogram:
/// topic and binary payload encoded into preallocated buffers.
struct EncodingHandler: EnsembleOutputHandler {
    let topic: UnsafeMutableRawBufferPointer
    let payload: UnsafeMutableRawBufferPointer
    var emitted = 0
    mutating func emit(_ e: EnsembleEmission) {
        _ = Topic.writeEnsemble(symbol: e.symbol, horizon: e.horizon, into: topic)
        _ = WireEncoder.writeBinaryEnsemble(e, latencyNanoseconds: 1, into: payload)
        emitted += 1
    }
}

func pipelineAllocs(work: Workload, messages: Int) -> (perMessage: Double, emitted: Int, rejects: Int)? {
    typealias SelfFn = @convention(c) () -> UInt64
    guard let f = dlsym(dlopen(nil, RTLD_NOW), "alloccount_self") else { return nil }
    let selfAllocs = unsafeBitCast(f, to: SelfFn.self)
    let config = try! stackdConfiguration(input: "tcp://127.0.0.1:*", output: "tcp://127.0.0.1:*")
    let pipeline = try! StackingPipeline(configuration: config.pipeline)
    var handler = EncodingHandler(topic: .allocate(byteCount: 128, alignment: 8), payload: .allocate(byteCount: 1024, alignment: 8))
    let warmup = 400_000  // fills the awaiting-label ring (262 144 rows) halfway; the steady state below runs past it
    var before: UInt64 = 0
    var t = nowNs()
    for i in 0..<(warmup + messages) {
        if i == warmup { before = selfAllocs() }
        let (topic, payload) = work.message(i, stamp: UInt64(i + 1))
        t &+= 1000
        pipeline.ingest(topic: topic, payload: payload, receivedAt: Int64(t), handler: &handler)
    }
    let after = selfAllocs()
    return (Double(after - before) / Double(messages), handler.emitted, pipeline.counters.totalRejected)
}

// MARK: - Reporting

func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s.isEmpty ? .nan : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }
func spread(_ xs: [Double]) -> String { guard let lo = xs.min(), let hi = xs.max(), !xs.isEmpty else { return "" }; return String(format: "%.0f–%.0f", lo, hi) }
func mps(_ x: Double) -> String { String(format: "%.3f M", x / 1e6) }
func us(_ ns: Double) -> String { String(format: "%.1f", ns / 1e3) }

// Modes added for the fit / retrain / replay benchmarks (Fit.swift, RetrainReplay.swift).
if let extra = CommandLine.arguments.dropFirst().first, ["fit", "xgb", "xgb-row", "retrain-latency", "replay", "record-ingest"].contains(extra) {
    setenv("OPENBLAS_NUM_THREADS", "1", 0)
    let a = ExtraArgs(CommandLine.arguments.dropFirst(2))
    switch extra {
    case "fit": runFitMode(a)
    case "xgb": runXGBMode(a)
    case "xgb-row": runXGBRowMode(a)
    case "retrain-latency": runRetrainLatency(a)
    case "record-ingest": runRecordIngest(a)
    default: runReplayMode(a)
    }
    exit(0)
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
setenv("OPENBLAS_NUM_THREADS", "1", 0)
let work = Workload(symbols: options.symbols)
print(String(format: "workload: 4 models × %d symbols × 1 horizon, binary predictions: topic %.1f B + payload %.1f B (3 classes), two frames",
             options.symbols, work.meanTopicBytes, work.meanPayloadBytes))

if options.mode == "allocs" {
    guard let probe = AllocProbe.load(), let p = pipelineAllocs(work: work, messages: options.allocMessages) else {
        print("allocation counts need the shim: LD_PRELOAD=bench/.build/alloccount.so"); exit(2)
    }
    print("")
    print("| what | window | allocations / message |")
    print("|---|---|---|")
    print(String(format: "| StackingPipeline.ingest alone (+ binary encode), in-process | %d msgs after 400k warm-up; %d rows emitted, %d rejects | %.4f |",
                 options.allocMessages, p.emitted, p.rejects, p.perMessage))
    for transport in options.transports {
        var live = LiveAllocs()
        let count = max(options.allocMessages * 2, Int(Double(options.rate) * options.latencySeconds)) / 4 * 4
        let r = withUnsafeMutablePointer(to: &live) { runStackd(transport: transport, work: work, count: count, rate: options.rate, warmupMessages: 0, probe: probe, allocResult: $0) }
        print(String(format: "| live %@, ingest thread (LiveRunner: poll, recv, pipeline, encode, zmq_send, snapshots) | %d msgs at %d msg/s, 25%%→90%% of run | %.4f |",
                     transport, live.messages, options.rate, live.ingestPerMessage))
        print(String(format: "| live %@, whole process (publisher, consumer, 3 libzmq I/O threads, ingest) | same | %.4f |", transport, live.processPerMessage))
        for (name, v) in live.perThread.sorted(by: { $0.1 > $1.1 }) { print(String(format: "|   thread %@ | | %.4f |", name, v)) }
        if !r.ok { print("| run check FAILED: \(r.note) | | |") }
    }
    exit(0)
}

struct Sample { var raw: RunResult?; var stackd: RunResult }
var throughput: [String: [Sample]] = [:], latency: [String: [Sample]] = [:]
var failures: [String] = []
for rep in 1...options.repeats {
    for transport in options.transports {
        if !options.skipThroughput {
            let raw = options.skipRaw ? nil : runRaw(transport: transport, work: work, count: options.messages / 4 * 4, rate: 0, warmupMessages: 0)
            let st = runStackd(transport: transport, work: work, count: options.messages / 4 * 4, rate: 0, warmupMessages: 0)
            log(String(format: "[rep %d %@ throughput] raw %@ msg/s %@ | stackd in %@ msg/s out %@ rows/s %@", rep, transport,
                       raw.map { mps($0.inRate) } ?? "-", raw?.note ?? "", mps(st.inRate), mps(st.outRate), st.note))
            if let raw, !raw.ok { failures.append("rep \(rep) \(transport) raw: \(raw.note)") }
            if !st.ok { failures.append("rep \(rep) \(transport) stackd: \(st.note)") }
            throughput[transport, default: []].append(Sample(raw: raw, stackd: st))
        }
        if !options.skipLatency {
            let n = Int(Double(options.rate) * options.latencySeconds) / 4 * 4
            let warm = Int(Double(options.rate) * options.warmupSeconds)
            let raw = options.skipRaw ? nil : runRaw(transport: transport, work: work, count: n, rate: options.rate, warmupMessages: warm)
            let st = runStackd(transport: transport, work: work, count: n, rate: options.rate, warmupMessages: warm)
            log("[rep \(rep) \(transport) latency @\(options.rate)] raw e2e \(raw?.e2e ?? []) | stackd e2e \(st.e2e) emission \(st.emission) \(st.note)")
            if let raw, !raw.ok { failures.append("rep \(rep) \(transport) raw latency: \(raw.note)") }
            if !st.ok { failures.append("rep \(rep) \(transport) stackd latency: \(st.note)") }
            latency[transport, default: []].append(Sample(raw: raw, stackd: st))
        }
    }
}

print("")
print("Medians of \(options.repeats) run(s); the range over runs in brackets.")
if !throughput.isEmpty {
    print("")
    print("### Throughput (flat out, \(options.messages / 4 * 4) messages, HWM 0, counts verified)")
    print("")
    print("| transport | raw libzmq PUB→SUB msg/s | stackd in msg/s | stackd out rows/s | stackd / raw | checks |")
    print("|---|---|---|---|---|---|")
    for t in options.transports {
        guard let xs = throughput[t] else { continue }
        let raw = xs.compactMap { $0.raw?.inRate }, sin = xs.map(\.stackd.inRate), sout = xs.map(\.stackd.outRate)
        let ratios = xs.compactMap { s in s.raw.map { s.stackd.inRate / $0.inRate } }
        let ok = xs.allSatisfy { $0.stackd.ok && ($0.raw?.ok ?? true) }
        print("| \(t) | \(mps(median(raw))) [\(spread(raw.map { $0 / 1e3 }))k] | \(mps(median(sin))) [\(spread(sin.map { $0 / 1e3 }))k] | \(mps(median(sout))) | "
              + String(format: "%.2f [%.2f–%.2f]", median(ratios), ratios.min() ?? .nan, ratios.max() ?? .nan)
              + " | \(ok ? "received = sent, rows = sent/4, 0 rejects" : "FAILED") |")
    }
}
if !latency.isEmpty {
    print("")
    print("### Latency at \(options.rate) msg/s paced (rows of 4 on an absolute schedule; \(options.latencySeconds) s, first \(options.warmupSeconds) s skipped), µs p50 / p99 / p99.9")
    print("")
    print("| transport | raw e2e (4th msg of row) | stackd e2e (4th msg send → output recv) | added: stackd − raw | stackd emission latency_ns | achieved rate |")
    print("|---|---|---|---|---|---|")
    for t in options.transports {
        guard let xs = latency[t] else { continue }
        func med(_ f: (Sample) -> [UInt64]?, _ i: Int) -> Double { median(xs.compactMap { f($0).flatMap { $0.count > i ? Double($0[i]) : nil } }) }
        func triple(_ f: (Sample) -> [UInt64]?) -> String { (0..<3).map { us(med(f, $0)) }.joined(separator: " / ") }
        let added = (0..<3).map { i in us(med({ $0.stackd.e2e }, i) - med({ $0.raw?.e2e }, i)) }.joined(separator: " / ")
        let p99s = xs.map { Double($0.stackd.emission.count > 1 ? $0.stackd.emission[1] : 0) / 1e3 }
        let addedP99 = xs.compactMap { s in s.raw.map { (Double(s.stackd.e2e[1]) - Double($0.e2e[1])) / 1e3 } }
        print("| \(t) | \(triple { $0.raw?.e2e }) | \(triple { $0.stackd.e2e }) | \(added) [p99 range \(spread(addedP99))] | \(triple { $0.stackd.emission }) [p99 range \(spread(p99s))] | \(mps(median(xs.map(\.stackd.achievedRate)))) |")
    }
}
if !failures.isEmpty {
    print("")
    print("FAILED checks:")
    for f in failures { print("- \(f)") }
    exit(1)
}
