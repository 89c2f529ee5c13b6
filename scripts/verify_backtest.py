#!/usr/bin/env python3
"""Recomputes every verdict number of a stackd `backtest.json` from the per-row outputs of the
same replay (`stackd replay SOURCE --report DIR --outputs FILE`), with numpy only, and checks them.

    verify_backtest.py OUTPUTS.csv BACKTEST.json [--evaluation-fraction F | --evaluation-from YYYY-MM-DD] [--tolerance 1e-9]

It shares no code with stackd: the definitions below are the documented ones
(schemas/replay-outputs.md, schemas/backtest.schema.json):

* window: rows with event_time >= start, start = tMax - floor((tMax - tMin) * fraction)
  (default fraction 0.2), or the given date; the rows before are the warm-up.
* class prior of a row: (n_c + 1) / (n + 3) over the labels whose exit_time < the row's event_time;
  always majority: one-hot arg-max of those counts (ties: lowest class; class 0 before any label);
  always long: one-hot class 2; averaging: mean of the base models' vectors.
* best single: lowest log-loss on warm-up rows whose exit_time < start (ties: first model).
* metrics: log-loss = mean(-ln max(p_true, 1e-15)); macro-F1 over 3 classes (zero division 0);
  Sharpe = mean(pnl) / std(pnl, ddof=1) * sqrt(252/h), pnl = (argmax - 1) * forward_return.
* comparisons: blocks of L = max(h, ceil(sqrt(T))) consecutive distinct event times of the window;
  1000 resamples of B blocks drawn with replacement by SplitMix64 seeded with h (index = next % B);
  metrics from per-block sums (Sharpe with var = (S2 - S1^2/n)/(n-1)); SE = std (ddof 1) of the
  resampled differences ensemble - baseline; verdict wins/ties/loses at 2 SE.

Exit status 0 when every number agrees within the tolerance, 1 otherwise.
"""
import argparse
import datetime
import json
import math
import sys

import numpy as np

EPS = 1e-15
MASK = (1 << 64) - 1
METRICS = ["log_loss", "f1_macro", "sharpe"]
RESAMPLES = 1000


def splitmix64(seed):
    state = seed & MASK
    while True:
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        yield z ^ (z >> 31)


def read_outputs(path):
    with open(path) as f:
        first = f.readline().strip()
        if not first.startswith("#stackd-replay-outputs v1 models="):
            sys.exit(f"{path}: not a stackd replay outputs file (v1)")
        models = json.loads(first.split("models=", 1)[1])
        header = f.readline().strip().split(",")
        rows = [line.rstrip("\n").split(",") for line in f if line.strip()]
    col = {name: i for i, name in enumerate(header)}
    by_h = {}
    for r in rows:
        by_h.setdefault(int(r[col["horizon"]]), []).append(r)
    out = {}
    m = len(models)
    for h, rs in by_h.items():
        out[h] = dict(
            event=np.array([int(r[col["event_time"]]) for r in rs], dtype=np.int64),
            exit=np.array([int(r[col["exit_time"]]) for r in rs], dtype=np.int64),
            label=np.array([int(r[col["label"]]) for r in rs]),
            fwd=np.array([float(r[col["forward_return"]]) for r in rs]),
            ens=np.array([[float(r[col[f"ensemble_{c}"]]) for c in range(3)] for r in rs]),
            base=np.array([[[float(r[col[f"base_{j}_{c}"]]) for c in range(3)] for j in range(m)] for r in rs]).reshape(len(rs), m, 3),
        )
    return models, out


def argmax_rows(p):
    return np.argmax(p, axis=1)  # numpy: ties to the lowest index


def log_loss(p, y):
    return float(np.mean(-np.log(np.maximum(p[np.arange(len(y)), y], EPS)))) if len(y) else 0.0


def macro_f1_from_confusion(conf):
    f = 0.0
    for c in range(3):
        tp = conf[c, c]
        fp = conf[c, :].sum() - tp
        fn = conf[:, c].sum() - tp
        d = 2 * tp + fp + fn
        f += 0.0 if d == 0 else 2 * tp / d
    return f / 3


def confusion(pred, y):
    conf = np.zeros((3, 3), dtype=np.int64)
    np.add.at(conf, (pred, y), 1)
    return conf


def sharpe_two_pass(pnl, h):
    if len(pnl) < 2:
        return 0.0
    sd = float(np.std(pnl, ddof=1))
    return 0.0 if sd <= 0 else float(np.mean(pnl)) / sd * math.sqrt(252.0 / h)


def window_start(event, fraction, from_ns):
    if from_ns is not None:
        return from_ns
    t_min, t_max = int(event.min()), int(event.max())
    return t_max - int(math.floor((float(t_max) - float(t_min)) * fraction))


def baselines_for(d):
    n = len(d["label"])
    order = np.argsort(d["event"], kind="stable")
    by_exit = np.argsort(d["exit"], kind="stable")
    counts = np.zeros(3, dtype=np.int64)
    prior = np.zeros((n, 3))
    majority = np.zeros((n, 3))
    nxt = 0
    for i in order:
        while nxt < n and d["exit"][by_exit[nxt]] < d["event"][i]:
            counts[d["label"][by_exit[nxt]]] += 1
            nxt += 1
        prior[i] = (counts + 1) / (counts.sum() + 3)
        majority[i, int(np.argmax(counts))] = 1
    long = np.zeros((n, 3))
    long[:, 2] = 1
    m = d["base"].shape[1]
    avg = np.zeros((n, 3))
    for j in range(m):  # same summation order as the report
        avg += d["base"][:, j, :]
    avg /= m
    return order, prior, majority, long, avg


def block_stats(p, rows, block_of, blocks, y, fwd):
    pred = argmax_rows(p[rows])
    pnl = (pred - 1) * fwd[rows]
    ll = -np.log(np.maximum(p[rows, y[rows]], EPS))
    stats = []
    for b in range(blocks):
        sel = block_of == b
        stats.append(dict(n=int(sel.sum()), ll=float(ll[sel].sum()), s1=float(pnl[sel].sum()),
                          s2=float((pnl[sel] ** 2).sum()), conf=confusion(pred[sel], y[rows][sel])))
    return stats


def value(st, metric, h):
    if metric == "log_loss":
        return st["ll"] / st["n"] if st["n"] else 0.0
    if metric == "f1_macro":
        return macro_f1_from_confusion(st["conf"])
    n = st["n"]
    if n < 2:
        return 0.0
    var = (st["s2"] - st["s1"] * st["s1"] / n) / (n - 1)
    return 0.0 if var <= 0 else (st["s1"] / n) / math.sqrt(var) * math.sqrt(252.0 / h)


def add(stats, idx):
    t = dict(n=0, ll=0.0, s1=0.0, s2=0.0, conf=np.zeros((3, 3), dtype=np.int64))
    for j in idx:
        s = stats[j]
        t["n"] += s["n"]; t["ll"] += s["ll"]; t["s1"] += s["s1"]; t["s2"] += s["s2"]; t["conf"] = t["conf"] + s["conf"]
    return t


def verdict(metric, diff, se):
    improvement = -diff if metric == "log_loss" else diff
    if improvement > 2 * se:
        return "wins"
    if improvement < -2 * se:
        return "loses"
    return "ties"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outputs")
    ap.add_argument("backtest")
    ap.add_argument("--evaluation-fraction", type=float, default=0.2)
    ap.add_argument("--evaluation-from")
    ap.add_argument("--tolerance", type=float, default=1e-9)
    a = ap.parse_args()
    from_ns = None
    if a.evaluation_from:
        day = datetime.date.fromisoformat(a.evaluation_from)
        from_ns = (day - datetime.date(1970, 1, 1)).days * 86_400 * 10**9
    models, data = read_outputs(a.outputs)
    report = json.load(open(a.backtest))
    checked, worst, failures = 0, 0.0, []

    def check(what, got, want):
        nonlocal checked, worst
        checked += 1
        if isinstance(want, str) or isinstance(got, str):
            if got != want:
                failures.append(f"{what}: recomputed {got!r}, report {want!r}")
            return
        dev = abs(float(got) - float(want))
        worst = max(worst, dev)
        if not dev <= a.tolerance:
            failures.append(f"{what}: recomputed {got!r}, report {want!r} (|Δ| {dev:.3g})")

    for hr in report["horizons"]:
        h = hr["horizon"]
        d = data.get(h)
        if d is None:
            if hr["rows"]:
                failures.append(f"h={h}: no rows in {a.outputs}")
            continue
        check(f"h={h} rows", len(d["label"]), hr["rows"])
        order, prior, majority, long, avg = baselines_for(d)
        start = window_start(d["event"], a.evaluation_fraction, from_ns)
        ev = hr.get("evaluation")
        if ev is None:
            continue
        check(f"h={h} windowStart", start, ev["windowStart"])
        win = np.array([i for i in order if d["event"][i] >= start], dtype=np.int64)
        warm = np.array([i for i in order if d["event"][i] < start], dtype=np.int64)
        check(f"h={h} window rows", len(win), ev["rows"])
        check(f"h={h} warm-up rows", len(warm), ev["warmupRows"])
        y, fwd = d["label"], d["fwd"]

        # Best single model.
        sel = np.array([i for i in range(len(y)) if d["event"][i] < start and d["exit"][i] < start], dtype=np.int64)
        best = None
        if len(sel) and len(models):
            losses = [log_loss(d["base"][sel, j, :], y[sel]) for j in range(len(models))]
            best = int(np.argmin(losses))
            bs = hr["bestSingle"]
            check(f"h={h} best single", models[best], bs["model"])
            check(f"h={h} best single selection rows", len(sel), bs["selectionRows"])
            for j, v in enumerate(losses):
                check(f"h={h} selection log-loss {models[j]}", v, bs["selectionLogLoss"][j])

        # Every method's headline metrics on the window and the warm-up.
        preds = {"ensemble": d["ens"], "averaging": avg, "class prior": prior, "always majority": majority,
                 "always long": long}
        for j, name in enumerate(models):
            preds[name] = d["base"][:, j, :]
        if best is not None:
            preds[f"best single ({models[best]})"] = d["base"][:, best, :]
        for section, rows in (("methods", win), ("warmup", warm)):
            for mr in hr[section]:
                p = preds[mr["name"]][rows]
                yy = y[rows]
                pred = argmax_rows(p)
                m = mr["metrics"]
                check(f"h={h} {section} {mr['name']} logLoss", log_loss(p, yy), m["logLoss"])
                check(f"h={h} {section} {mr['name']} accuracy", float(np.mean(pred == yy)), m["accuracy"])
                check(f"h={h} {section} {mr['name']} f1Macro", macro_f1_from_confusion(confusion(pred, yy)), m["f1Macro"])
                check(f"h={h} {section} {mr['name']} sharpe", sharpe_two_pass((pred - 1) * fwd[rows], h), m["sharpe"])
                brier = float(np.mean(np.sum((p - np.eye(3)[yy]) ** 2, axis=1))) if len(yy) else 0.0
                check(f"h={h} {section} {mr['name']} brier", brier, m["brier"])

        # Blocks and the bootstrap.
        times = d["event"][win]
        rank = np.concatenate([[0], np.cumsum(times[1:] != times[:-1])]) if len(win) else np.array([], dtype=np.int64)
        T = int(rank[-1]) + 1 if len(win) else 0
        L = max(h, int(math.ceil(math.sqrt(T))), 1)
        B = (T + L - 1) // L
        check(f"h={h} blockLength", L, ev["blockLength"])
        check(f"h={h} blocks", B, ev["blocks"])
        block_of = rank // L
        named = [("averaging", "averaging", avg)]
        if best is not None:
            named.append(("best_single", f"best single ({models[best]})", d["base"][:, best, :]))
        named += [("class_prior", "class prior", prior), ("always_majority", "always majority", majority),
                  ("always_long", "always long", long)]
        ens_stats = block_stats(d["ens"], win, block_of, B, y, fwd)
        base_stats = [block_stats(p, win, block_of, B, y, fwd) for _, _, p in named]
        rng = splitmix64(h)
        diffs = {(k, m): [] for k, _, _ in named for m in METRICS}
        for _ in range(RESAMPLES):
            draw = [next(rng) % B for _ in range(B)]
            e = add(ens_stats, draw)
            for (key, _, _), st in zip(named, base_stats):
                s = add(st, draw)
                for metric in METRICS:
                    diffs[(key, metric)].append(value(e, metric, h) - value(s, metric, h))
        got = {(c["baseline"], c["metric"]): c for c in ev["comparisons"]}
        check(f"h={h} comparisons", len(got), len(named) * len(METRICS))
        e_total = add(ens_stats, range(B))
        for (key, name, _), st in zip(named, base_stats):
            b_total = add(st, range(B))
            for metric in METRICS:
                c = got.get((key, metric))
                if c is None:
                    failures.append(f"h={h}: no comparison {metric} vs {key}")
                    continue
                ev_, bv = value(e_total, metric, h), value(b_total, metric, h)
                se = float(np.std(np.array(diffs[(key, metric)]), ddof=1))
                what = f"h={h} {metric} vs {key}"
                check(f"{what} ensemble", ev_, c["ensembleValue"])
                check(f"{what} baseline", bv, c["baselineValue"])
                check(f"{what} difference", ev_ - bv, c["difference"])
                check(f"{what} SE", se, c["standardError"])
                check(f"{what} name", name, c["baselineName"])
                # The verdict follows from the report's own numbers (so a 1e-15 wobble cannot flip it).
                check(f"{what} verdict", verdict(metric, c["difference"], c["standardError"]), c["verdict"])

    print(f"verify_backtest: {checked} numbers checked, largest deviation {worst:.3g}, {len(failures)} disagreements")
    for f in failures[:50]:
        print("  " + f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
