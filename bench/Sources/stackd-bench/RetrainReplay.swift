// stackd-bench retrain-latency / replay.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import StackdCore
import StackdDaemon
import StackdLearning
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

/// `stackd-bench replay [--data ../../shared/data/oos-daily] [--repeat 3] [--loops 5]`
/// (1) `ReplayRunner.run(events:)` with retraining disabled (no trainer, `RetrainPolicy.disabled`);
/// (2) the core loop alone: every event pre-encoded once into one byte slab (topic + binary
/// payload), then fed straight to `StackingPipeline.ingest` + `advance`, as a journal replay would.
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
        }
        let ts = slab.count; slab += topic
        let ps = slab.count; slab += payload
        spans.append((ts, topic.count, ps, payload.count, time))
    }
    let slabPtr = UnsafeMutableRawBufferPointer.allocate(byteCount: slab.count, alignment: 8)
    slabPtr.copyBytes(from: slab)
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)

    var runnerRates: [Double] = [], coreRates: [Double] = [], runnerIngestRates: [Double] = []
    var digests = Set<String>()
    let runner = ReplayRunner(configuration: configuration, trainer: nil, logger: logger)
    for rep in 1...a.int("repeat", 3) {
        // (1) ReplayRunner, `loops` back-to-back runs timed together.
        var wall: UInt64 = 0, ingest: UInt64 = 0
        for _ in 0..<loops {
            let s = nowNs()
            let r = try! runner.run(events: events)
            wall += nowNs() - s
            ingest += r.ingestNanoseconds
            digests.insert(r.digest.description)
        }
        runnerRates.append(Double(events.count * loops) / (Double(wall) / 1e9))
        runnerIngestRates.append(Double(events.count * loops) / (Double(ingest) / 1e9))
        // (2) core loop on pre-encoded bytes.
        var coreNs: UInt64 = 0
        for _ in 0..<loops {
            let pipeline = try! StackingPipeline(configuration: configuration.pipeline, retrainPolicy: .disabled,
                                                 monitoring: configuration.monitoring.enabled,
                                                 driftRetrainMinLabels: configuration.monitoring.retrainOnAlert ? configuration.monitoring.retrainMinLabels : .max)
            var handler = DigestHandler(scratch: scratch)
            let base = UnsafeRawPointer(slabPtr.baseAddress!)
            let s = nowNs()
            for sp in spans {
                pipeline.ingest(topic: UnsafeRawBufferPointer(start: base + sp.topicStart, count: sp.topicLen),
                                payload: UnsafeRawBufferPointer(start: base + sp.payloadStart, count: sp.payloadLen),
                                receivedAt: sp.time, handler: &handler)
                pipeline.advance(to: sp.time, handler: &handler)
            }
            pipeline.drain(handler: &handler)
            coreNs += nowNs() - s
            digests.insert(handler.digest.description)
        }
        coreRates.append(Double(events.count * loops) / (Double(coreNs) / 1e9))
        log(String(format: "[rep %d] ReplayRunner.run %.3f M events/s (ingest-only clock %.3f M) | core loop %.3f M events/s",
                   rep, runnerRates.last! / 1e6, runnerIngestRates.last! / 1e6, coreRates.last! / 1e6))
    }
    let share = Double(predictions) / Double(events.count)
    print("")
    print("### Replay throughput (oos-daily: \(events.count) events = \(predictions) base-model predictions + \(events.count - predictions) labels; horizons \(loaded.horizons), \(loaded.models.count) models; retraining disabled; \(loops) passes per repeat)")
    print("")
    print("| path | events/s | base-model messages/s | vs 2 M msg/s target |")
    print("|---|---|---|---|")
    func line(_ name: String, _ xs: [Double]) {
        let m = median(xs)
        print("| \(name) | \(mps(m)) [\(spread(xs.map { $0 / 1e3 }))k] | \(mps(m * share)) | " + String(format: "%.2f×", m * share / 2e6) + " |")
    }
    line("ReplayRunner.run(events:) wall (encode + ingest + advance + digest + labelled rows)", runnerRates)
    line("ReplayRunner.run, its own ingestNanoseconds", runnerIngestRates)
    line("core loop: pre-encoded bytes → StackingPipeline.ingest + advance (+ digest)", coreRates)
    print("")
    print("Output digests identical across all runs and both paths: \(digests.count == 1 ? "yes" : "NO (\(digests))")")
}
