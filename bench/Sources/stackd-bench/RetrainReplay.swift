// stackd-bench retrain-latency / replay.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import StackdCore
import StackdDaemon
import StackdJournal
import StackdLearning
import StackdReplay
import Synchronization

// MARK: - Synthetic training window (the splitmix64 generator of bench_fit.py, ported)

@inline(__always) func splitmix64(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
@inline(__always) func uni(_ seed: UInt64, _ key: UInt64) -> Double {
    (Double(splitmix64(seed &* (1 << 32) &+ key) >> 11) + 0.5) * 0x1p-53
}

/// X[i, j] and y[i] exactly as bench_fit.py defines them (the 64-column key stride), F ≤ 64.
/// (Used here only as a realistic training load; fit.py's comparison reads numpy's own output.)
func syntheticWindow(rows: Int, feats: Int) -> (Matrix, [Int]) {
    var x = [Double](repeating: 0, count: rows * feats)
    var y = [Int](repeating: 0, count: rows)
    let s3 = 3.0.squareRoot()
    for i in 0..<rows {
        var z = [0.0, 0.0, 0.0]
        for j in 0..<feats {
            let v = (2 * uni(1, UInt64(i * 64 + j)) - 1) * s3
            x[i * feats + j] = v
            for k in 0..<3 { z[k] += v * Double(((7 * j + 5 * k) % 9) - 4) / 8 }
        }
        var best = 0, bv = -Double.infinity
        for k in 0..<3 {
            let g = z[k] - Foundation.log(-Foundation.log(uni(2, UInt64(i * 4 + k))))
            if g > bv { bv = g; best = k }
        }
        y[i] = best
    }
    return (Matrix(rows: rows, cols: feats, storage: x), y)
}

// MARK: - Ingest latency while a retrain runs

final class FitLoad: @unchecked Sendable {
    let stop = Atomic<Int>(0)
    let fitsStarted = Atomic<Int>(0)
    let running = Atomic<Int>(0)
    let lock = NSLock()
    var durations: [Double] = []
    var iterations: [Int] = []
    let done = DispatchSemaphore(value: 0)
}

/// `stackd-bench retrain-latency [--rate 100000] [--seconds 4] [--repeat 3] [--transport ipc]
///  [--fit-rows 1000000] [--fit-feats 33]`: the paced LiveRunner latency run of `stackd-bench latency`,
/// first idle, then while `MultinomialLogisticRegression.fit` runs back to back on a separate
/// thread (as TrainingWorker's "stackd-training" thread would: default priority, default options).
func runRetrainLatency(_ a: ExtraArgs) {
    let rate = a.int("rate", 100_000), secs = a.double("seconds", 4), reps = a.int("repeat", 3)
    let transports = a.string("transport", "ipc").split(separator: ",").map(String.init)
    let fitRows = a.int("fit-rows", 1_000_000), fitFeats = a.int("fit-feats", 33)
    let work = Workload(symbols: a.int("symbols", 64))
    log("generating the \(fitRows)×\(fitFeats) training window…")
    let (X, y) = syntheticWindow(rows: fitRows, feats: fitFeats)
    let n = Int(Double(rate) * secs) / 4 * 4, warm = rate / 2
    struct Pair { var idle: RunResult; var busy: RunResult; var fitsDuring: Int; var fitRunningAtEnd: Bool }
    var pairs: [String: [Pair]] = [:]
    var fitDurations: [Double] = [], fitIters: [Int] = []
    for rep in 1...reps {
        for transport in transports {
            let idle = runStackd(transport: transport, work: work, count: n, rate: rate, warmupMessages: warm)
            log("[rep \(rep) \(transport) idle] e2e \(idle.e2e) emission \(idle.emission) \(idle.note)")
            let load = FitLoad()
            let t = Thread {
                while load.stop.load(ordering: .relaxed) == 0 {
                    load.fitsStarted.add(1, ordering: .relaxed)
                    load.running.store(1, ordering: .relaxed)
                    let t0 = nowNs()
                    let m = try! MultinomialLogisticRegression.fit(X: X, y: y, classes: 3, C: 1)
                    let d = Double(nowNs() - t0) / 1e9
                    load.running.store(0, ordering: .relaxed)
                    load.lock.lock(); load.durations.append(d); load.iterations.append(m.report!.iterations); load.lock.unlock()
                }
                load.done.signal()
            }
            t.name = "bench-training"
            t.start()
            usleep(200_000)  // the fit is past its setup (standardisation) and into L-BFGS
            let busy = runStackd(transport: transport, work: work, count: n, rate: rate, warmupMessages: warm)
            let runningAtEnd = load.running.load(ordering: .relaxed) == 1
            load.stop.store(1, ordering: .relaxed)
            load.done.wait()
            log("[rep \(rep) \(transport) during fit] e2e \(busy.e2e) emission \(busy.emission) \(busy.note); fits \(load.durations)")
            fitDurations += load.durations; fitIters += load.iterations
            pairs[transport, default: []].append(Pair(idle: idle, busy: busy, fitsDuring: load.fitsStarted.load(ordering: .relaxed),
                                                      fitRunningAtEnd: runningAtEnd))
        }
    }
    print("")
    print("### Ingest latency during a retrain (LiveRunner, \(rate) msg/s paced, \(secs) s, first 0.5 s skipped; fit of \(fitRows)×\(fitFeats) on another thread)")
    print("")
    print("Fits during the busy runs: \(fitDurations.count), median \(String(format: "%.2f", median(fitDurations))) s "
          + "[\(String(format: "%.2f–%.2f", fitDurations.min() ?? .nan, fitDurations.max() ?? .nan))], iterations \(fitIters).")
    print("")
    print("| transport | metric | idle p50 / p99 / p99.9 µs | during fit p50 / p99 / p99.9 µs | p99 ratio (fit / idle) | p99 range idle; fit |")
    print("|---|---|---|---|---|---|")
    for t in transports {
        guard let xs = pairs[t] else { continue }
        func row(_ name: String, _ f: (RunResult) -> [UInt64]) {
            func med(_ g: (Pair) -> RunResult, _ i: Int) -> Double { median(xs.compactMap { p in let v = f(g(p)); return v.count > i ? Double(v[i]) : nil }) }
            let idle = (0..<3).map { us(med({ $0.idle }, $0)) }.joined(separator: " / ")
            let busy = (0..<3).map { us(med({ $0.busy }, $0)) }.joined(separator: " / ")
            let ratios = xs.compactMap { p -> Double? in let i = f(p.idle), b = f(p.busy); return i.count > 1 && b.count > 1 ? Double(b[1]) / Double(i[1]) : nil }
            let ip99 = xs.compactMap { f($0.idle).count > 1 ? Double(f($0.idle)[1]) / 1e3 : nil }
            let bp99 = xs.compactMap { f($0.busy).count > 1 ? Double(f($0.busy)[1]) / 1e3 : nil }
            print("| \(t) | \(name) | \(idle) | \(busy) | " + String(format: "%.2f [%.2f–%.2f]", median(ratios), ratios.min() ?? .nan, ratios.max() ?? .nan)
                  + " | \(spread(ip99)); \(spread(bp99)) |")
        }
        row("daemon emission latency_ns (recv of completing msg → output to zmq)") { $0.emission }
        row("end to end (send of completing msg → consumer recv)") { $0.e2e }
        let ok = xs.allSatisfy { $0.idle.ok && $0.busy.ok }
        print("| \(t) | checks | \(ok ? "ok" : "FAILED: " + xs.map { $0.idle.note + " " + $0.busy.note }.joined(separator: "; ")) | achieved rate idle \(mps(median(xs.map(\.idle.achievedRate)))), fit \(mps(median(xs.map(\.busy.achievedRate)))) | fit still running at end of every busy run: \(xs.allSatisfy(\.fitRunningAtEnd)) | |")
    }
}

// MARK: - Replay throughput

struct DigestHandler: EnsembleOutputHandler {
    var digest = OutputDigest()
    let scratch: UnsafeMutableRawBufferPointer
    var emitted = 0
    mutating func emit(_ e: EnsembleEmission) { digest.add(e, scratch: scratch); emitted += 1 }
}

/// `stackd-bench replay [--data ../../shared/data/oos-daily] [--repeat 3] [--loops 5] [--monitoring on,off] [--journal-compress on|off]`
/// With retraining disabled (no trainer, `RetrainPolicy.disabled`), for each monitoring setting:
/// (1) `ReplayRunner.run(events:)`;
/// (2) `ReplayRunner.run(journal:)` over a journal recorded once with `JournalWriter` (binary payloads,
///     receive time = the event's delivery time, non-decreasing), reader opened inside the timing;
/// (3) the core loop alone: every event pre-encoded once into one byte slab (topic + binary
///     payload), then fed straight to `StackingPipeline.ingest` + `advance`.
func runReplayMode(_ a: ExtraArgs) {
    let dir = a.string("data", "../../shared/data/oos-daily")
    var logger = Logger(label: "stackd-bench"); logger.logLevel = .error
    var configuration = try! ConfigurationLoader.parse(EmbeddedConfiguration.demo, source: "<embedded demo configuration>")
    let t0 = nowNs()
    let loaded = try! OOSDailyStream.load(directory: dir)
    log("loaded \(loaded.events.count) events in \(String(format: "%.2f", seconds(t0, nowNs()))) s")
    configuration.pipeline.models = loaded.models
    configuration.pipeline.horizons = loaded.horizons
    configuration.retrain = .disabled
    let events = loaded.events
    let predictions = events.filter { if case .prediction = $0.kind { return true } else { return false } }.count
    let loops = a.int("loops", 5)
    let monitoringSettings = a.string("monitoring", "on,off").split(separator: ",").map { $0 == "on" }

    // Pre-encode once (same bytes StreamEncoding produces).
    var slab: [UInt8] = []
    var spans: [(topicStart: Int, topicLen: Int, payloadStart: Int, payloadLen: Int, time: Int64)] = []
    slab.reserveCapacity(events.count * 128)
    for e in events {
        let topic: [UInt8], payload: [UInt8], time: Int64
        switch e.kind {
        case .prediction(let model, let p):
            topic = Array(Topic.prediction(symbol: e.symbol, horizon: e.horizon, model: model).utf8)
            payload = WireEncoder.binaryPrediction(model: model, symbol: e.symbol, horizon: e.horizon, eventTime: e.eventTime, sequence: 0, probabilities: p)
            time = e.eventTime
        case .label(let c, let r, let exit):
            topic = Array(Topic.label(symbol: e.symbol, horizon: e.horizon).utf8)
            payload = WireEncoder.binaryLabel(symbol: e.symbol, horizon: e.horizon, eventTime: e.eventTime, sequence: 0,
                                              classIndex: c, classCount: 3, forwardReturn: r, exitTime: exit)
            time = exit
        case .regime(let values):
            topic = Array(Topic.regime(symbol: e.symbol).utf8)
            payload = WireEncoder.binaryRegime(symbol: e.symbol, eventTime: e.eventTime, sequence: 0, values: values)
            time = e.eventTime
        }
        let ts = slab.count; slab += topic
        let ps = slab.count; slab += payload
        spans.append((ts, topic.count, ps, payload.count, time))
    }
    let slabPtr = UnsafeMutableRawBufferPointer.allocate(byteCount: slab.count, alignment: 8)
    slabPtr.copyBytes(from: slab)
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)
    let base = UnsafeRawPointer(slabPtr.baseAddress!)

    // Record the stream into a journal once, as `stackd run` would have.
    let journalDir = a.string("journal", "/tmp/stackd-bench-journal-\(getpid())")
    try? FileManager.default.removeItem(atPath: journalDir)
    let w0 = nowNs()
    let writer = try! JournalWriter(directory: journalDir, manifest: JournalManifest(endpoints: ["bench://oos-daily"], note: "stackd-bench replay", monotonicToUnixOffsetNanoseconds: 0),
                                    configuration: JournalConfiguration(compress: a.string("journal-compress", "on") == "on"))
    var lastTime = Int64.min
    for sp in spans {
        precondition(sp.time >= lastTime, "delivery times must not decrease")
        lastTime = sp.time
        try! writer.append(topic: UnsafeRawBufferPointer(start: base + sp.topicStart, count: sp.topicLen),
                           payload: UnsafeRawBufferPointer(start: base + sp.payloadStart, count: sp.payloadLen), receivedAt: sp.time)
    }
    try! writer.close()
    let journalBytes = (try? FileManager.default.subpathsOfDirectory(atPath: journalDir))?.reduce(0) { acc, f in
        acc + ((try? FileManager.default.attributesOfItem(atPath: journalDir + "/" + f)[.size] as? Int) ?? 0) } ?? 0
    log(String(format: "journal: %d messages, %d segments, %.1f MB on disk, written in %.2f s", writer.messageCount, writer.segmentCount,
               Double(journalBytes) / 1e6, seconds(w0, nowNs())))

    struct Rates { var runner: [Double] = [], runnerIngest: [Double] = [], journal: [Double] = [], core: [Double] = [] }
    var rates: [Bool: Rates] = [:]
    var digests: [Bool: Set<String>] = [:]
    for rep in 1...a.int("repeat", 3) {
        for monitoring in monitoringSettings {
            var conf = configuration
            conf.monitoring.enabled = monitoring
            let runner = ReplayRunner(configuration: conf, trainer: nil, logger: logger)
            var r = rates[monitoring] ?? Rates()
            // `--only journal|events|core` runs one path (for profiling it alone).
            let only = a.values["only"]
            // (1) ReplayRunner.run(events:), `loops` back-to-back runs timed together.
            var wall: UInt64 = 0, ingest: UInt64 = 0
            for _ in 0..<(only == nil || only == "events" ? loops : 0) {
                let s = nowNs()
                let res = try! runner.run(events: events)
                wall += nowNs() - s
                ingest += res.ingestNanoseconds
                digests[monitoring, default: []].insert(res.digest.description)
            }
            if wall > 0 {
                r.runner.append(Double(events.count * loops) / (Double(wall) / 1e9))
                r.runnerIngest.append(Double(events.count * loops) / (Double(ingest) / 1e9))
            }
            // (2) ReplayRunner.run(journal:), opening the reader included.
            var journalNs: UInt64 = 0
            for _ in 0..<(only == nil || only == "journal" ? loops : 0) {
                let s = nowNs()
                let reader = try! JournalReader(directory: journalDir)
                let res = try! runner.run(journal: reader)
                journalNs += nowNs() - s
                precondition(res.events == events.count && reader.corruptions.isEmpty)
                digests[monitoring, default: []].insert(res.digest.description)
            }
            if journalNs > 0 { r.journal.append(Double(events.count * loops) / (Double(journalNs) / 1e9)) }
            // (3) core loop on pre-encoded bytes.
            var coreNs: UInt64 = 0
            for _ in 0..<(only == nil || only == "core" ? loops : 0) {
                let pipeline = try! StackingPipeline(configuration: conf.pipeline, retrainPolicy: .disabled,
                                                     monitoring: conf.monitoring.enabled,
                                                     driftRetrainMinLabels: conf.monitoring.retrainOnAlert ? conf.monitoring.retrainMinLabels : .max,
                                                     keepsTrainingWindow: false)  // as ReplayRunner without a trainer
                var handler = DigestHandler(scratch: scratch)
                let s = nowNs()
                for sp in spans {
                    if let next = pipeline.nextDeadline, next <= sp.time { pipeline.advance(to: sp.time, handler: &handler) }
                    pipeline.ingest(topic: UnsafeRawBufferPointer(start: base + sp.topicStart, count: sp.topicLen),
                                    payload: UnsafeRawBufferPointer(start: base + sp.payloadStart, count: sp.payloadLen),
                                    receivedAt: sp.time, handler: &handler)
                }
                pipeline.drain(handler: &handler)
                coreNs += nowNs() - s
                digests[monitoring, default: []].insert(handler.digest.description)
            }
            if coreNs > 0 { r.core.append(Double(events.count * loops) / (Double(coreNs) / 1e9)) }
            rates[monitoring] = r
            log(String(format: "[rep %d monitoring %@] run(events:) %.3f M ev/s (ingest clock %.3f M) | run(journal:) %.3f M | core loop %.3f M",
                       rep, monitoring ? "on" : "off", (r.runner.last ?? 0) / 1e6, (r.runnerIngest.last ?? 0) / 1e6,
                       (r.journal.last ?? 0) / 1e6, (r.core.last ?? 0) / 1e6))
        }
    }
    try? FileManager.default.removeItem(atPath: journalDir)
    // Fixed cost of a replay outside its message loop: constructing (and releasing) the pipeline.
    var initNs: [Double] = []
    for _ in 0..<5 {
        let s = nowNs()
        do {
            let p = try! StackingPipeline(configuration: configuration.pipeline, retrainPolicy: .disabled, monitoring: true)
            withExtendedLifetime(p) {}
        }
        initNs.append(Double(nowNs() - s) / 1e6)
    }
    let share = Double(predictions) / Double(events.count)
    print("")
    print("### Replay throughput (oos-daily: \(events.count) events = \(predictions) base-model predictions + \(events.count - predictions) labels; horizons \(loaded.horizons), \(loaded.models.count) models; retraining disabled; \(loops) passes per repeat; journal \(String(format: "%.1f", Double(journalBytes) / 1e6)) MB)")
    print("")
    print("| path | monitoring | events/s median [range] | base-model messages/s | vs 2 M msg/s target |")
    print("|---|---|---|---|---|")
    func line(_ name: String, _ mon: Bool, _ xs: [Double]) {
        guard !xs.isEmpty else { return }
        let m = median(xs)
        print("| \(name) | \(mon ? "on" : "off") | \(mps(m)) [\(spread(xs.map { $0 / 1e3 }))k] | \(mps(m * share)) | " + String(format: "%.2f×", m * share / 2e6) + " |")
    }
    for mon in monitoringSettings {
        let r = rates[mon]!
        line("ReplayRunner.run(journal:) wall (open + read + decode + ingest + advance + digest + labelled rows)", mon, r.journal)
        line("ReplayRunner.run(events:) wall (encode + ingest + advance + digest + labelled rows)", mon, r.runner)
        line("ReplayRunner.run(events:), its own ingestNanoseconds", mon, r.runnerIngest)
        line("core loop: pre-encoded bytes → StackingPipeline.ingest + advance (+ digest)", mon, r.core)
    }
    print("")
    print("StackingPipeline init + release (monitoring on), ms: median \(String(format: "%.1f", median(initNs))) [\(spread(initNs))]")
    for mon in monitoringSettings {
        print("Monitoring \(mon ? "on" : "off"): output digests identical across all runs and all three paths: \(digests[mon]!.count == 1 ? "yes" : "NO (\(digests[mon]!))") \(digests[mon]!.first ?? "")")
    }
}

// MARK: - Ingest with recording on vs off

/// `stackd-bench record-ingest [--rate 300000] [--seconds 4] [--messages 2000000] [--repeat 3] [--transport ipc] [--record off,on,raw]`
/// LiveRunner (binary output) driven by the bench publisher, with and without `[record] directory`,
/// interleaved per repeat (off, on, off, on …) at a fixed paced rate and flat out. Reports input
/// msg/s and the daemon's emission latency (`latency_ns`: receive of the completing message →
/// output handed to ZeroMQ; first 0.5 s / warm-up rows skipped). The journal directory is removed
/// after each run; its size is reported. `raw` records without LZ4 (`[record] compress = false`).
func runRecordIngest(_ a: ExtraArgs) {
    let rate = a.int("rate", 300_000), secs = a.double("seconds", 4), reps = a.int("repeat", 3)
    let flatMessages = a.int("messages", 2_000_000) / 4 * 4
    let transport = a.string("transport", "ipc")
    let work = Workload(symbols: a.int("symbols", 64))
    let loads = a.string("loads", "paced,flat").split(separator: ",").map { $0 == "paced" }
    let recordSettings = a.string("record", "off,on").split(separator: ",").map(String.init)
    let paced = Int(Double(rate) * secs) / 4 * 4
    struct Key: Hashable { var paced: Bool; var record: String }
    var results: [Key: [RunResult]] = [:]
    var journalMB: [Double] = []
    for rep in 1...reps {
        for pacedRun in loads {
            for record in (rep % 2 == 1 ? recordSettings : recordSettings.reversed()) {
                let dir = "/tmp/stackd-bench-rec-\(getpid())-\(rep)"
                try? FileManager.default.removeItem(atPath: dir)
                let r = runStackd(transport: transport, work: work, count: pacedRun ? paced : flatMessages, rate: pacedRun ? rate : 0,
                                  warmupMessages: pacedRun ? rate / 2 : flatMessages / 4, recordDirectory: record == "off" ? nil : dir,
                                  recordCompress: record != "raw")
                if record != "off" {
                    let size = (try? FileManager.default.subpathsOfDirectory(atPath: dir))?.reduce(0) { acc, f in
                        acc + ((try? FileManager.default.attributesOfItem(atPath: dir + "/" + f)[.size] as? Int) ?? 0) } ?? 0
                    journalMB.append(Double(size) / 1e6)
                    try? FileManager.default.removeItem(atPath: dir)
                }
                results[Key(paced: pacedRun, record: record), default: []].append(r)
                log("[rep \(rep) \(pacedRun ? "paced \(rate)" : "flat out") record \(record)] in \(mps(r.inRate)) msg/s, achieved send \(mps(r.achievedRate)), emission p50/p99 \(r.emission) \(r.ok ? "ok" : r.note)")
            }
        }
    }
    print("")
    print("### Ingest with recording on vs off (LiveRunner, \(transport), binary output; \(reps) repeats interleaved; paced: \(rate) msg/s for \(secs) s, first 0.5 s skipped; flat out: \(flatMessages) messages, first quarter skipped for latency)")
    print("")
    print("| load | recording | input msg/s median [range] | emission latency p50 µs median [range] | p99 µs median [range] | p99.9 µs median | checks |")
    print("|---|---|---|---|---|---|---|")
    for pacedRun in loads {
        for record in recordSettings {
            let xs = results[Key(paced: pacedRun, record: record)] ?? []
            let p50 = xs.map { Double($0.emission[0]) / 1e3 }, p99 = xs.map { Double($0.emission[1]) / 1e3 }, p999 = xs.map { Double($0.emission[2]) / 1e3 }
            func f(_ v: [Double]) -> String { String(format: "%.2f [%.2f–%.2f]", median(v), v.min() ?? .nan, v.max() ?? .nan) }
            print("| \(pacedRun ? "paced \(rate) msg/s" : "flat out") | \(record) | \(mps(median(xs.map(\.inRate)))) [\(spread(xs.map { $0.inRate / 1e3 }))k] | \(f(p50)) | \(f(p99)) | "
                  + String(format: "%.2f", median(p999)) + " | \(xs.allSatisfy(\.ok) ? "ok" : xs.map(\.note).joined(separator: "; ")) |")
        }
    }
    print("")
    print("Journal size per recorded run (MB): \(journalMB.map { String(format: "%.1f", $0) })")
}
