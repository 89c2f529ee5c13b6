// Measures the ingest thread's pause around a retrain request on a full out-of-sample window:
// the snapshot itself and the first append after it (the append that used to copy every column
// because the snapshot shared storage with the window). Compiled together with
// Sources/StackdCore/Scoring/OutOfSampleWindow.swift by bench/window-pause/run.sh.
#if canImport(Glibc)
import Glibc
#endif

func nanoseconds() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}

let rows = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 100_000 : 100_000
let models = 4, classes = 3, features = 38
var window = OutOfSampleWindow(modelCount: models, classCount: classes, featureCount: features, maxRows: rows)
let base = [Double](repeating: 0.25, count: models * classes)
let feats = [Double](repeating: 0.5, count: features)
let ens = [Double](repeating: 1.0 / 3, count: classes)
var t: Int64 = 0
func appendOne() {
    t += 1
    base.withUnsafeBufferPointer { b in
        feats.withUnsafeBufferPointer { f in
            ens.withUnsafeBufferPointer { e in
                window.append(eventTime: t, exitTime: t, symbol: 0, label: Int(t % 3), forwardReturn: 0,
                              basePredictions: b, features: f, ensemble: e, modelVersion: 0)
            }
        }
    }
}
for _ in 0..<rows { appendOne() }

var held: [OutOfSampleRows] = []
var snapshotNs: [UInt64] = [], firstAppendNs: [UInt64] = [], laterAppendNs: [UInt64] = []
for round in 0..<7 {
    let s0 = nanoseconds()
    let snapshot = window.snapshot()
    let s1 = nanoseconds()
    appendOne()
    let s2 = nanoseconds()
    appendOne()
    let s3 = nanoseconds()
    snapshotNs.append(s1 - s0); firstAppendNs.append(s2 - s1); laterAppendNs.append(s3 - s2)
    held = [snapshot]                           // "training" holds the snapshot while ingest appends
    for _ in 0..<1000 { appendOne() }
    held.removeAll()                            // training finished
    for _ in 0..<1000 { appendOne() }
    _ = round
}
func micros(_ ns: UInt64) -> String { let tenths = (ns + 50) / 100; return "\(tenths / 10).\(tenths % 10) µs" }
func summary(_ v: [UInt64]) -> String { "median \(micros(v.sorted()[v.count / 2]))  max \(micros(v.max() ?? 0))" }
print("rows=\(rows), \(models * classes + features + classes) doubles a row")
print("snapshot:                    \(summary(snapshotNs))")
print("first append after snapshot: \(summary(firstAppendNs))")
print("second append:               \(summary(laterAppendNs))")
