// stackd-bench fit / xgb: meta-learner fit times on the synthetic data of
// ../shared/reference/bench_fit.py. The data are written once by bench/fit.py (numpy, the
// reference generator itself) as raw little-endian files and read here, so both sides fit
// bit-identical inputs:
//   X file: Nmax × Fmax float64, row-major;  y file: Nmax int32.
// One JSON object per line on stdout (bench/fit.py parses them); progress on stderr.
#if canImport(Glibc)
import Glibc
#endif
import CXGBoostBench
import Foundation
import StackdCore
import StackdLearning
import StackdTraining
import StackdXGBoost

struct ExtraArgs {
    var values: [String: String] = [:]
    init(_ args: ArraySlice<String>) {
        var i = args.startIndex
        while i < args.endIndex {
            let k = args[i]
            guard k.hasPrefix("--") else { fatalError("unexpected argument \(k)") }
            if i + 1 < args.endIndex, !args[i + 1].hasPrefix("--") { values[String(k.dropFirst(2))] = args[i + 1]; i += 2 } else { values[String(k.dropFirst(2))] = "1"; i += 1 }
        }
    }
    func string(_ k: String, _ d: String) -> String { values[k] ?? d }
    func int(_ k: String, _ d: Int) -> Int { values[k].map { Int($0)! } ?? d }
    func double(_ k: String, _ d: Double) -> Double { values[k].map { Double($0)! } ?? d }
    func flag(_ k: String) -> Bool { values[k] != nil }
}

/// Reads the first `rows` rows and first `feats` columns of the reference data.
func loadReferenceData(xPath: String, yPath: String, fmax: Int, rows: Int, feats: Int) -> (Matrix, [Int]) {
    let xh = FileHandle(forReadingAtPath: xPath)!, yh = FileHandle(forReadingAtPath: yPath)!
    let xd = xh.readData(ofLength: rows * fmax * 8), yd = yh.readData(ofLength: rows * 4)
    precondition(xd.count == rows * fmax * 8 && yd.count == rows * 4, "data files too short for \(rows) rows")
    var storage = [Double](repeating: 0, count: rows * feats)
    xd.withUnsafeBytes { raw in
        let src = raw.bindMemory(to: Double.self)
        storage.withUnsafeMutableBufferPointer { dst in
            for r in 0..<rows { for j in 0..<feats { dst[r * feats + j] = src[r * fmax + j] } }
        }
    }
    let y = yd.withUnsafeBytes { raw in raw.bindMemory(to: Int32.self).map { Int($0) } }
    return (Matrix(rows: rows, cols: feats, storage: storage), y)
}

func jsonLine(_ d: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: d, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
    fflush(nil)
}

func seconds(_ a: UInt64, _ b: UInt64) -> Double { Double(b &- a) / 1e9 }

/// `stackd-bench fit --x X --y Y --fmax 60 --rows N --feats F [--gtol g] [--repeat r] [--no-warm-start]`
/// Times `MultinomialLogisticRegression.fit(C=1, raw features, default options but gtol)`.
func runFitMode(_ a: ExtraArgs) {
    let rows = a.int("rows", 10_000), feats = a.int("feats", 19)
    let (X, y) = loadReferenceData(xPath: a.string("x", "/tmp/stackd-fit/X.f64"), yPath: a.string("y", "/tmp/stackd-fit/y.i32"),
                                   fmax: a.int("fmax", 60), rows: rows, feats: feats)
    var options = MultinomialLogisticRegression.Options()
    if let g = a.values["gtol"] { options.optimizer.gradientTolerance = Double(g)! }
    if a.flag("no-precondition") { options.precondition = false }
    // `--no-warm-start`: every pass on all rows (the fit before subsample warm starts).
    if a.flag("no-warm-start") { options.warmStartMinimumRows = 0 }
    options.warmStartMinimumRows = a.int("warm-min-rows", options.warmStartMinimumRows)
    options.warmStartFactor = a.int("warm-factor", options.warmStartFactor)
    options.minimumStageRows = a.int("warm-stage-rows", options.minimumStageRows)
    for rep in 0..<a.int("repeat", 1) {
        let t0 = nowNs()
        let model = try! MultinomialLogisticRegression.fit(X: X, y: y, classes: 3, C: 1, options: options)
        let t1 = nowNs()
        let r = model.report!
        jsonLine(["side": "stackd", "rows": rows, "feats": feats, "rep": rep, "gtol": options.optimizer.gradientTolerance,
                  "precondition": options.precondition,
                  "fit_s": seconds(t0, t1), "iterations": r.iterations, "evaluations": r.evaluations,
                  "warm_start_evaluations": r.warmStartEvaluations ?? [],
                  "termination": r.termination.rawValue, "objective_report": r.objective,
                  "coef": model.weights, "intercept": model.biases])
    }
}

/// `stackd-bench xgb --x X --y Y --rows N --feats F [--rounds 100] [--nthread 2] [--repeat r]`
/// Fit through StackdXGBoost with the reference's parameters, split into the time stackd spends
/// around libxgboost (Double→Float marshalling, prediction copy-out) and the library's own time.
func runXGBMode(_ a: ExtraArgs) {
    let rows = a.int("rows", 10_000), feats = a.int("feats", 19)
    let (X, y) = loadReferenceData(xPath: a.string("x", "/tmp/stackd-fit/X.f64"), yPath: a.string("y", "/tmp/stackd-fit/y.i32"),
                                   fmax: a.int("fmax", 60), rows: rows, feats: feats)
    let params = XGBoostParameters(numClass: 3, maxDepth: 3, nEstimators: a.int("rounds", 100), learningRate: 0.1,
                                   subsample: 0.8, colsampleByTree: 0.8, seed: 0, treeMethod: "hist", nthread: a.int("nthread", 2))
    let labels = y.map(Double.init)
    for rep in 0..<a.int("repeat", 1) {
        // What XGBoostClassifier.train(features: [Double], …) does, step by step.
        let t0 = nowNs()
        let xf = X.storage.map { Float($0) }
        let lf = labels.map { Float($0) }
        let t1 = nowNs()
        let matrix = try! XGBoostDMatrix(features: xf, rows: rows, cols: feats, labels: lf)
        let t2 = nowNs()
        let clf = try! XGBoostClassifier.train(on: matrix, parameters: params)
        let t3 = nowNs()
        // The whole public path in one call, as the training code calls it (includes the steps above).
        let t4 = nowNs()
        if a.flag("public") {
            _ = try! XGBoostClassifier.train(features: X.storage, rows: rows, cols: feats, labels: labels, parameters: params)
        }
        let t5 = a.flag("public") ? nowNs() : t4
        // Batch prediction: the public call (library + shape check + copy-out to [Double]) vs the
        // raw library call on a booster loaded from the same model.
        let p0 = nowNs()
        let probs = try! clf.predictProbabilities(matrix)
        let p1 = nowNs()
        let json = try! clf.modelData(format: .json)
        var raw: BoosterHandle?
        _ = XGBoosterCreate(nil, 0, &raw)
        _ = json.withUnsafeBufferPointer { XGBoosterLoadModelFromBuffer(raw, $0.baseAddress, bst_ulong($0.count)) }
        var matH: DMatrixHandle?
        _ = xf.withUnsafeBufferPointer { XGDMatrixCreateFromMat($0.baseAddress, bst_ulong(rows), bst_ulong(feats), Float.nan, &matH) }
        var shape: UnsafePointer<bst_ulong>?, dim: bst_ulong = 0, out: UnsafePointer<Float>?
        let cfg = #"{"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": true}"#
        _ = XGBoosterPredictFromDMatrix(raw, matH, cfg, &shape, &dim, &out)  // warm (first call sets up the gbm)
        let q0 = nowNs()
        _ = XGBoosterPredictFromDMatrix(raw, matH, cfg, &shape, &dim, &out)
        let q1 = nowNs()
        let copy0 = nowNs()
        let copied = UnsafeBufferPointer(start: out!, count: rows * 3).map { Double($0) }
        let copy1 = nowNs()
        precondition(copied.count == probs.count)
        var ll = 0.0
        for i in 0..<rows { ll -= Foundation.log(max(probs[i * 3 + y[i]], 1e-15)) }
        XGDMatrixFree(matH); XGBoosterFree(raw)
        jsonLine(["side": "stackd-xgb", "rows": rows, "feats": feats, "rep": rep, "nthread": params.nthread,
                  "marshal_s": seconds(t0, t1), "dmatrix_s": seconds(t1, t2), "boost_s": seconds(t2, t3),
                  "train_public_s": seconds(t4, t5),
                  "predict_public_s": seconds(p0, p1), "predict_raw_s": seconds(q0, q1), "copyout_s": seconds(copy0, copy1),
                  "train_logloss": ll / Double(rows)])
    }
}

/// `stackd-bench xgb-row --x X --y Y --rows N [--rounds 100] [--calls 200000]`: the live
/// single-row path, `XGBoostCombiner.combine`, vs the bare `XGBoosterPredictFromDense` call on a
/// preformatted array interface, on the 33-column extended layout of 4 models.
func runXGBRowMode(_ a: ExtraArgs) {
    let layout = StackingFeatureLayout(models: ["lgbm", "logreg", "mlp", "xgb"])
    let feats = MetaFeatureSet.extended.columnCount(layout)  // 33
    let rows = a.int("rows", 100_000)
    let (X, y) = loadReferenceData(xPath: a.string("x", "/tmp/stackd-fit/X.f64"), yPath: a.string("y", "/tmp/stackd-fit/y.i32"),
                                   fmax: a.int("fmax", 60), rows: rows, feats: feats)
    let params = XGBoostParameters(numClass: 3, maxDepth: 3, nEstimators: a.int("rounds", 100), learningRate: 0.1,
                                   subsample: 0.8, colsampleByTree: 0.8, seed: 0, treeMethod: "hist", nthread: 1)
    let clf = try! XGBoostClassifier.train(features: X.storage, rows: rows, cols: feats, labels: y.map(Double.init), parameters: params)
    let json = try! clf.modelData(format: .json)
    let combiner = try! XGBoostCombiner(classifier: clf, featureSet: .extended, layout: layout, version: 1)
    var raw: BoosterHandle?
    _ = XGBoosterCreate(nil, 0, &raw)
    _ = json.withUnsafeBufferPointer { XGBoosterLoadModelFromBuffer(raw, $0.baseAddress, bst_ulong($0.count)) }
    let calls = a.int("calls", 200_000)
    let base = UnsafeMutableBufferPointer<Double>.allocate(capacity: 12); base.initialize(repeating: 1.0 / 3)
    let out = UnsafeMutableBufferPointer<Double>.allocate(capacity: 3)
    let fbuf = UnsafeMutableBufferPointer<Float>.allocate(capacity: feats)
    let cfg = #"{"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": true, "cache_id": 0, "missing": NaN}"#
    let iface = #"{"data": [\#(UInt(bitPattern: fbuf.baseAddress!)), true], "shape": [1, \#(feats)], "typestr": "<f4", "version": 3}"#
    var results: [String: Any] = ["side": "stackd-xgb-row", "rows_trained": rows, "feats": feats, "calls": calls]
    for rep in 0..<a.int("repeat", 3) {
        var sink = 0.0
        let t0 = nowNs()
        X.storage.withUnsafeBufferPointer { xb in
            for c in 0..<calls {
                let r = c % rows
                combiner.combine(basePredictions: UnsafeBufferPointer(base), features: UnsafeBufferPointer(rebasing: xb[(r * feats)..<((r + 1) * feats)]),
                                 presentMask: 0xF, into: out)
                sink += out[0]
            }
        }
        let t1 = nowNs()
        var shape: UnsafePointer<bst_ulong>?, dim: bst_ulong = 0, res: UnsafePointer<Float>?
        X.storage.withUnsafeBufferPointer { xb in
            for c in 0..<calls {
                let r = c % rows
                for j in 0..<feats { fbuf[j] = Float(xb[r * feats + j]) }
                _ = XGBoosterPredictFromDense(raw, iface, cfg, nil, &shape, &dim, &res)
                for k in 0..<3 { out[k] = Double(res![k]) }
                sink += out[0]
            }
        }
        let t2 = nowNs()
        results["combine_ns_\(rep)"] = Double(t1 - t0) / Double(calls)
        results["raw_ns_\(rep)"] = Double(t2 - t1) / Double(calls)
        if sink.isNaN { print("") }
    }
    XGBoosterFree(raw)
    jsonLine(results)
}
