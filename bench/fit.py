#!/usr/bin/env python3
"""stackd vs scikit-learn / xgboost fit times, side by side in one run (driven by bench/fit.sh).

Data: the synthetic splitmix64 data of ../shared/reference/bench_fit.py, generated here with
that script's own numpy code (copied verbatim below) and written once to raw files that the Swift
side reads (`stackd-bench fit|xgb --x X.f64 --y yF.i32 --fmax 60`), so both fit identical bytes:
  X.f64: Nmax x 60 float64 row-major (F=19 is the first 19 columns, as in the reference);
  y19.i32 / y60.i32: Nmax int32 labels (y depends on F through W; rows are a prefix family).

Logistic regression at equal objective: objective = sum_i -ln p_{y_i} + 1/2 ||W||^2 (C=1,
unpenalised intercepts), computed by the same numpy function from each side's coefficients.
Reference optimum f* = min(sklearn tol=1e-10, every objective seen). For each side, the loosest
gradient tolerance from a ladder (1e-4 ... 1e-9) whose fit is within 1e-6 relative of f* is picked
in an untimed calibration pass; then each side is timed --repeats times at that tolerance,
alternating sklearn / stackd per repeat.
"""
import argparse, json, os, statistics, subprocess, sys, time
import numpy as np

# ---- generator: verbatim from ../shared/reference/bench_fit.py -------------------------------
def splitmix64(x):
    x = x.astype(np.uint64)
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return z

def uni(seed, keys):
    z = splitmix64(np.uint64(seed) * np.uint64(1 << 32) + keys.astype(np.uint64))
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) * (2.0 ** -53)

def make_data(N, F):
    i = np.arange(N, dtype=np.uint64)[:, None]
    j = np.arange(F, dtype=np.uint64)[None, :]
    X = (2.0 * uni(1, i * np.uint64(64) + j) - 1.0) * np.sqrt(3.0)
    jj = np.arange(F)[:, None]; kk = np.arange(3)[None, :]
    W = (((7 * jj + 5 * kk) % 9) - 4) / 8.0
    k = np.arange(3, dtype=np.uint64)[None, :]
    G = -np.log(-np.log(uni(2, i * np.uint64(4) + k)))
    y = np.argmax(X @ W + G, axis=1)
    return X, y
# --------------------------------------------------------------------------------------------------

def objective(X, y, coef, intercept):
    Z = X @ coef.T + intercept
    m = Z.max(axis=1, keepdims=True)
    lse = (m[:, 0] + np.log(np.exp(Z - m).sum(axis=1)))
    return float((lse - Z[np.arange(len(y)), y]).sum() + 0.5 * (coef ** 2).sum())

def log(*a):
    print(*a, file=sys.stderr, flush=True)

def stackd(bin_, mode, d, N, F, *extra):
    cmd = [bin_, mode, "--x", f"{d}/X.f64", "--y", f"{d}/y{F}.i32", "--fmax", "60", "--rows", str(N), "--feats", str(F), *map(str, extra)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]

def med(xs): return statistics.median(xs)
def rng(xs, fmt="%.3f"): return (fmt % min(xs)) + "–" + (fmt % max(xs))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--dir", default="/tmp/stackd-fit")
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--feats", default="19,60")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-lr", action="store_true")
    ap.add_argument("--skip-xgb", action="store_true")
    ap.add_argument("--xgb-sizes", default="10000,100000")
    ap.add_argument("--xgb-nthread", type=int, default=1)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    from threadpoolctl import threadpool_limits
    from sklearn.linear_model import LogisticRegression
    import sklearn, xgboost
    sizes = [int(s) for s in a.sizes.split(",")]; feats = [int(f) for f in a.feats.split(",")]
    nmax = max(sizes + [int(s) for s in a.xgb_sizes.split(",")])
    os.makedirs(a.dir, exist_ok=True)
    t = time.perf_counter()
    Xfull, _ = make_data(nmax, 60)
    np.ascontiguousarray(Xfull, dtype="<f8").tofile(f"{a.dir}/X.f64")
    ys = {}
    for F in feats:
        _, yF = make_data(nmax, F); ys[F] = yF
        yF.astype("<i4").tofile(f"{a.dir}/y{F}.i32")
    log(f"data {nmax}x60 written to {a.dir} in {time.perf_counter() - t:.1f} s; X[0,:4]={Xfull[0,:4].tolist()}")
    res = {"versions": {"sklearn": sklearn.__version__, "xgboost": xgboost.__version__, "numpy": np.__version__},
           "lr": [], "xgb": []}
    ladder = [1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9]
    if not a.skip_lr:
        print("\n### Logistic regression fit at equal objective (1e-6 relative), C=1, raw features, 3 classes, OPENBLAS_NUM_THREADS=1\n")
        print("| N | F | sklearn tol | sklearn s (median [range]) | sklearn iters | stackd gtol | stackd s (median [range]) | stackd iters / evals on all rows (+ warm-start stage evals, every 512th/64th/8th row) | stackd / sklearn | objective f* | sklearn rel gap | stackd rel gap | ≤ 0.4× target |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for F in feats:
            for N in sizes:
                X = np.ascontiguousarray(Xfull[:N, :F]); y = ys[F][:N]
                with threadpool_limits(limits=1):
                    tight = LogisticRegression(C=1.0, solver="lbfgs", max_iter=10000, tol=1e-10).fit(X, y)
                objs = [objective(X, y, tight.coef_, tight.intercept_)]
                fref = lambda: min(objs)
                # calibration (untimed): sklearn
                sk_tol = None; sk_cal = []
                for tol in ladder:
                    with threadpool_limits(limits=1):
                        m = LogisticRegression(C=1.0, solver="lbfgs", max_iter=10000, tol=tol).fit(X, y)
                    o = objective(X, y, m.coef_, m.intercept_); objs.append(o); sk_cal.append((tol, o, int(m.n_iter_[0])))
                    if (o - fref()) / fref() <= 1e-6: sk_tol = tol; break
                st_tol = None; st_cal = []
                for g in ladder:
                    r = stackd(a.bin, "fit", a.dir, N, F, "--gtol", g)[0]
                    o = objective(X, y, np.array(r["coef"]).reshape(3, F), np.array(r["intercept"])); objs.append(o)
                    st_cal.append((g, o, r["iterations"], r["fit_s"]))
                    if (o - fref()) / fref() <= 1e-6: st_tol = g; break
                log(f"N={N} F={F} f*={fref():.10g} sklearn ladder {sk_cal} -> {sk_tol}; stackd ladder {st_cal} -> {st_tol}")
                sk_t, st_t, sk_o, st_o, sk_it, st_it, st_ev = [], [], [], [], [], [], []
                for rep in range(a.repeats):
                    with threadpool_limits(limits=1):
                        m = LogisticRegression(C=1.0, solver="lbfgs", max_iter=10000, tol=sk_tol or 1e-10)
                        t0 = time.perf_counter(); m.fit(X, y); sk_t.append(time.perf_counter() - t0)
                    sk_o.append(objective(X, y, m.coef_, m.intercept_)); sk_it.append(int(m.n_iter_[0]))
                    r = stackd(a.bin, "fit", a.dir, N, F, "--gtol", st_tol or 1e-10)[0]
                    st_t.append(r["fit_s"]); st_it.append(r["iterations"]); st_ev.append(r["evaluations"])
                    st_warm = r.get("warm_start_evaluations", [])
                    st_o.append(objective(X, y, np.array(r["coef"]).reshape(3, F), np.array(r["intercept"])))
                    log(f"  rep {rep}: sklearn {sk_t[-1]:.3f} s obj {sk_o[-1]:.10g} | stackd {st_t[-1]:.3f} s obj {st_o[-1]:.10g}")
                objs += sk_o + st_o
                f = fref()
                ratios = [s / k for s, k in zip(st_t, sk_t)]
                row = {"N": N, "F": F, "fstar": f, "sklearn_tol": sk_tol, "stackd_gtol": st_tol, "sklearn_s": sk_t, "stackd_s": st_t,
                       "sklearn_obj": sk_o, "stackd_obj": st_o, "sklearn_iter": sk_it, "stackd_iter": st_it, "stackd_evals": st_ev, "stackd_warm_start_evals": st_warm,
                       "sklearn_ladder": sk_cal, "stackd_ladder": st_cal}
                res["lr"].append(row)
                r_med = med(st_t) / med(sk_t)
                print(f"| {N:,} | {F} | {sk_tol:g} | {med(sk_t):.3f} [{rng(sk_t)}] | {sk_it[0]} | {st_tol:g} | {med(st_t):.3f} [{rng(st_t)}] | "
                      f"{st_it[0]} / {st_ev[0]}{(' (+ ' + ', '.join(map(str, st_warm)) + ')') if st_warm else ''} | {r_med:.2f} [{rng(ratios, '%.2f')}] | {f:.10g} | {(max(sk_o) - f) / f:.1e} | {(max(st_o) - f) / f:.1e} | "
                      f"{'met' if r_med <= 0.4 else '**missed**'} |", flush=True)
    if not a.skip_xgb:
        xs = [int(s) for s in a.xgb_sizes.split(",")]
        from xgboost import XGBClassifier
        print(f"\n### XGBoost (hist, depth 3, 100 rounds, eta 0.1, subsample 0.8, colsample 0.8, nthread {a.xgb_nthread}): stackd (StackdXGBoost, libxgboost 1.7.4) vs Python xgboost {xgboost.__version__}\n")
        print("| N | F | python .fit s | stackd fit s (marshal + DMatrix + boost) | stackd / python | marshal [Double]→[Float] s | DMatrix create s | predict: public s / raw lib s / copy-out s | overhead share of fit (marshal + copy-out) | ≤ 10 % |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for F in feats:
            for N in xs:
                X = np.ascontiguousarray(Xfull[:N, :F]); y = ys[F][:N]
                reps = a.repeats if N <= 100000 else 1
                py_t, rows = [], []
                for rep in range(reps):
                    m = XGBClassifier(tree_method="hist", max_depth=3, n_estimators=100, learning_rate=0.1, subsample=0.8,
                                      colsample_bytree=0.8, n_jobs=a.xgb_nthread, random_state=0)
                    t0 = time.perf_counter(); m.fit(X, y); py_t.append(time.perf_counter() - t0)
                    r = stackd(a.bin, "xgb", a.dir, N, F, "--nthread", a.xgb_nthread)[0]; rows.append(r)
                    log(f"  xgb N={N} F={F} rep {rep}: python {py_t[-1]:.3f} s | stackd {r}")
                fit = [r["marshal_s"] + r["dmatrix_s"] + r["boost_s"] for r in rows]
                share = [(r["marshal_s"] + r["copyout_s"]) / (r["marshal_s"] + r["dmatrix_s"] + r["boost_s"]) for r in rows]
                res["xgb"].append({"N": N, "F": F, "python_s": py_t, "stackd": rows})
                print(f"| {N:,} | {F} | {med(py_t):.3f} [{rng(py_t)}] | {med(fit):.3f} [{rng(fit)}] | {med(fit) / med(py_t):.2f} | "
                      f"{med([r['marshal_s'] for r in rows]):.4f} | {med([r['dmatrix_s'] for r in rows]):.4f} | "
                      f"{med([r['predict_public_s'] for r in rows]):.4f} / {med([r['predict_raw_s'] for r in rows]):.4f} / {med([r['copyout_s'] for r in rows]):.4f} | "
                      f"{100 * med(share):.2f} % [{rng([100 * s for s in share], '%.2f')}] | {'met' if med(share) <= 0.10 else '**missed**'} |", flush=True)
    if a.out:
        json.dump(res, open(a.out, "w"), indent=1)

if __name__ == "__main__":
    main()
