#!/usr/bin/env python3
"""The quality bar of bench/QUALITY.md: the served ensemble against the walk-forward logistic
reference, the class prior and averaging, on the reference's held-out rows.

    bench/quality.sh [--config NAME=FILE ...] [--stackd PATH] [--data DIR] [--shared DIR] [--work DIR] [--json FILE]

For each configuration (the embedded default when none is given) it runs
`stackd replay DATA [--config FILE] --outputs OUT --quiet` — the live pipeline, driven by the
folder's event-time schedule — and reads every labelled row it served (schemas/replay-outputs.md).
It then takes, per horizon, the reference's test rows (`../shared/reference/reference.py`: events
sorted by (timestamp, symbol), cut at the event floor(0.8 N), test = timestamp >= cut) and compares
on exactly those rows:

* ensemble: the probabilities stackd published for the row;
* walk-forward LR: the reference's `walk_forward_lr` (LR-ext refit every 250 distinct timestamps on
  all earlier purged events), computed here by calling reference.py (scikit-learn);
* class prior: (n_c + 1) / (n + 3) over the labels whose exit_time < the row's event time (the
  labels known when the prediction was made), as the report defines it;
* averaging: the mean of the base models' vectors, as stackd imputes a missing model.

Margins are ensemble − baseline in nats (negative: the ensemble is better) with a block-bootstrap
standard error: blocks of L = max(h, ceil(sqrt(T))) consecutive distinct event times, 1000
resamples (the report's scheme, scripts/verify_backtest.py). The rows are matched to the
reference's by (event time, forward return), which is unique in this data (checked).

It also prints the served ensemble's log-loss on every labelled row BEFORE the cut (the first
80 %, walk-forward out of sample: each row scored by the model installed before it): the in-window
evidence bench/QUALITY.md uses to choose defaults, never the held-out rows. On the rows before the
cut that walk-forward LR has a fit for, it also prints the served ensemble against walk-forward LR
(computed on every row by reference.py, cached in WORK/wf_all_h*.npz) and the class prior: what
a choice made at the cut could have seen of each. The replay's report
(schemas/backtest.schema.json) is kept in WORK/report-NAME.

Nothing here tunes anything: the configurations are fixed before the run and stackd chooses its
models only on validation rows inside its own training window.
"""
import argparse
import datetime
import json
import math
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import verify_backtest as vb  # noqa: E402  (numpy-only helpers: outputs reader, class prior, SplitMix64)

EPS = 1e-15


def day_ns(s):
    d = datetime.date.fromisoformat(str(s)[:10])
    return (d - datetime.date(1970, 1, 1)).days * 86_400 * 10**9


def reference_walk_forward(data, shared, horizon, cache):
    """Per test row of the reference: (event ns, forward return, label index, WF-LR probabilities)."""
    path = os.path.join(cache, f"wf_h{horizon}.npz")
    if os.path.exists(path):
        z = np.load(path)
        return z["event"], z["fwd"], z["label"], z["p"]
    sys.path.insert(0, os.path.join(shared, "reference"))
    import reference as ref  # scikit-learn, pandas

    ev, probs, models = ref.load(data, horizon)
    n = len(ev)
    cut = ev.timestamp.values[int(np.floor(0.8 * n))]
    test = ev.timestamp.values >= cut
    x, _ = ref.extended_features(probs, models)
    p, _ = ref.walk_forward_lr(x, ev)
    event = np.array([day_ns(t) for t in ev.timestamp.values[test]], dtype=np.int64)
    fwd = ev.fwd_return.values[test].astype(float)
    label = ev.label.values[test].astype(int) + 1
    np.savez(path, event=event, fwd=fwd, label=label, p=p[test])
    return event, fwd, label, p[test]


def reference_walk_forward_all(data, shared, horizon, cache):
    """Every row of the reference with a walk-forward LR fit (the first fit needs 2000 purged
    events): (event ns, forward return, WF-LR probabilities), for the in-window comparison."""
    path = os.path.join(cache, f"wf_all_h{horizon}.npz")
    if os.path.exists(path):
        z = np.load(path)
        return z["event"], z["fwd"], z["p"]
    sys.path.insert(0, os.path.join(shared, "reference"))
    import reference as ref  # scikit-learn, pandas

    ev, probs, models = ref.load(data, horizon)
    x, _ = ref.extended_features(probs, models)
    p, _ = ref.walk_forward_lr(x, ev)
    fitted = ~np.isnan(p).any(axis=1)
    event = np.array([day_ns(t) for t in ev.timestamp.values[fitted]], dtype=np.int64)
    fwd = ev.fwd_return.values[fitted].astype(float)
    np.savez(path, event=event, fwd=fwd, p=p[fitted])
    return event, fwd, p[fitted]


def bootstrap_se(diff_rows, event, horizon, seed):
    """SE of the mean paired difference, blocks of consecutive distinct event times."""
    times = np.unique(event)
    t = len(times)
    length = max(horizon, math.ceil(math.sqrt(t)))
    blocks = math.ceil(t / length)
    block_of_time = {int(v): i // length for i, v in enumerate(times)}
    block = np.array([block_of_time[int(e)] for e in event])
    sums = np.bincount(block, weights=diff_rows, minlength=blocks)
    counts = np.bincount(block, minlength=blocks)
    rng = vb.splitmix64(seed)
    values = []
    for _ in range(vb.RESAMPLES):
        idx = [next(rng) % blocks for _ in range(blocks)]
        values.append(sums[idx].sum() / max(counts[idx].sum(), 1))
    return float(np.std(values, ddof=1))


def loss_rows(p, y):
    return -np.log(np.maximum(p[np.arange(len(y)), y], EPS))


def evaluate(outputs_path, data, shared, cache):
    models, rows = vb.read_outputs(outputs_path)
    result = {}
    for h in sorted(rows):
        d = rows[h]
        _, prior, _, _, avg = vb.baselines_for(d)
        r_event, r_fwd, r_label, r_wf = reference_walk_forward(data, shared, h, cache)
        index = {}
        for i, (e, f) in enumerate(zip(d["event"], d["fwd"])):
            key = (int(e), float(f))
            if key in index:
                sys.exit(f"h{h}: (event, forward return) is not unique: {key}")
            index[key] = i
        take = []
        for e, f in zip(r_event, r_fwd):
            i = index.get((int(e), float(f)))
            if i is None:
                sys.exit(f"h{h}: reference test row {e}/{f} has no replay row")
            take.append(i)
        take = np.array(take)
        y = d["label"][take]
        if not np.array_equal(y, r_label):
            sys.exit(f"h{h}: labels differ between the replay and the reference")
        ens = loss_rows(d["ens"][take], y)
        base = {"walk-forward LR": loss_rows(r_wf, y), "class prior": loss_rows(prior[take], y),
                "averaging": loss_rows(avg[take], y)}
        entry = {"rows": int(len(y)), "ensemble": float(ens.mean())}
        # In-window evidence for choosing defaults: the served ensemble's log-loss on every
        # labelled row before the held-out cut (walk-forward out-of-sample, never the last 20 %).
        before = d["event"] < r_event.min()
        entry["rows before cut"] = int(before.sum())
        entry["ensemble before cut"] = float(loss_rows(d["ens"][before], d["label"][before]).mean())
        # The same walk-forward comparison before the cut, on the rows walk-forward LR has a fit
        # for: how each side did on the evidence a choice made at the cut could have seen.
        a_event, a_fwd, a_p = reference_walk_forward_all(data, shared, h, cache)
        early = a_event < r_event.min()
        take_b = np.array([index[(int(e), float(f))] for e, f in zip(a_event[early], a_fwd[early])])
        y_b = d["label"][take_b]
        ens_b = loss_rows(d["ens"][take_b], y_b)
        for name, b in (("walk-forward LR", loss_rows(a_p[early], y_b)), ("class prior", loss_rows(prior[take_b], y_b))):
            entry[f"before cut: {name}"] = float(b.mean())
            entry[f"before cut: margin vs {name}"] = float((ens_b - b).mean())
            entry[f"before cut: se vs {name}"] = bootstrap_se(ens_b - b, d["event"][take_b], h, seed=h)
        entry["before cut: rows with a walk-forward fit"] = int(len(take_b))
        entry["before cut: ensemble on those rows"] = float(ens_b.mean())
        for name, b in base.items():
            entry[name] = float(b.mean())
            entry[f"margin vs {name}"] = float((ens - b).mean())
            entry[f"se vs {name}"] = bootstrap_se(ens - b, d["event"][take], h, seed=h)
        result[h] = entry
    return result


def paired_before_cut(work, names, base):
    """Per configuration and horizon: mean (config − base) served log-loss over the labelled rows
    before the held-out cut, with the block-bootstrap SE: the in-window comparison of defaults."""
    _, base_rows = vb.read_outputs(os.path.join(work, f"outputs-{base}.csv"))
    out = {}
    for name in names:
        if name == base:
            continue
        _, rows = vb.read_outputs(os.path.join(work, f"outputs-{name}.csv"))
        out[name] = {}
        for h in sorted(rows):
            d, b = rows[h], base_rows[h]
            cut = np.load(os.path.join(work, f"wf_h{h}.npz"))["event"].min()
            m, mb = d["event"] < cut, b["event"] < cut
            if not (np.array_equal(d["event"][m], b["event"][mb]) and np.array_equal(d["label"][m], b["label"][mb])):
                sys.exit(f"h{h}: {name} and {base} served different rows before the cut")
            diff = loss_rows(d["ens"][m], d["label"][m]) - loss_rows(b["ens"][mb], b["label"][mb])
            out[name][h] = (float(diff.mean()), bootstrap_se(diff, d["event"][m], h, seed=h))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stackd", default=os.path.join(ROOT, ".build/release/stackd"))
    ap.add_argument("--data", default=os.path.join(ROOT, "../shared/data/oos-daily"))
    ap.add_argument("--shared", default=os.path.join(ROOT, "../shared"))
    ap.add_argument("--config", action="append", default=[],
                    help="NAME=FILE: a configuration to replay (repeatable); default: the embedded one")
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "stackd-quality"))
    ap.add_argument("--json", help="also write the numbers here")
    ap.add_argument("--reuse", action="store_true",
                    help="evaluate the outputs already in --work instead of replaying again")
    ap.add_argument("--paired-with", metavar="NAME",
                    help="also compare every configuration with NAME before the cut (paired, in-window)")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    configs = [c.split("=", 1) for c in a.config] or [["default", None]]
    results = {}
    for name, path in configs:
        out = os.path.join(a.work, f"outputs-{name}.csv")
        report = os.path.join(a.work, f"report-{name}")
        cmd = [a.stackd, "replay", a.data, "--outputs", out, "--report", report, "--quiet"] + (["--config", path] if path else [])
        if not (a.reuse and os.path.exists(out)):
            print(f"# {' '.join(cmd)}", file=sys.stderr)
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
        results[name] = evaluate(out, a.data, a.shared, a.work)
    print("| configuration | h | rows | ensemble | walk-forward LR | margin ± SE | class prior | margin ± SE | averaging | margin ± SE |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, per_h in results.items():
        for h, e in per_h.items():
            cells = [name, f"h{h}", str(e["rows"]), f"{e['ensemble']:.4f}"]
            for b in ("walk-forward LR", "class prior", "averaging"):
                cells += [f"{e[b]:.4f}", f"{e['margin vs ' + b]:+.4f} ± {e['se vs ' + b]:.4f}"]
            print("| " + " | ".join(cells) + " |")
    print()
    print("| configuration | h | rows before the cut | served log-loss before the cut |")
    print("|---|---|---|---|")
    for name, per_h in results.items():
        for h, e in per_h.items():
            print(f"| {name} | h{h} | {e['rows before cut']} | {e['ensemble before cut']:.4f} |")
    print()
    print("Before the cut, on the rows walk-forward LR has a fit for (its first fit needs 2000 purged events):")
    print()
    print("| configuration | h | rows | ensemble | walk-forward LR | margin ± SE | class prior | margin ± SE |")
    print("|---|---|---|---|---|---|---|---|")
    for name, per_h in results.items():
        for h, e in per_h.items():
            cells = [name, f"h{h}", str(e["before cut: rows with a walk-forward fit"]), f"{e['before cut: ensemble on those rows']:.4f}"]
            for b in ("walk-forward LR", "class prior"):
                cells += [f"{e['before cut: ' + b]:.4f}", f"{e['before cut: margin vs ' + b]:+.4f} ± {e['before cut: se vs ' + b]:.4f}"]
            print("| " + " | ".join(cells) + " |")
    if a.paired_with:
        print()
        print(f"| configuration − {a.paired_with}, before the cut | h | mean difference ± SE |")
        print("|---|---|---|")
        for name, per_h in paired_before_cut(a.work, [n for n, _ in configs], a.paired_with).items():
            for h, (mean, se) in per_h.items():
                print(f"| {name} | h{h} | {mean:+.4f} ± {se:.4f} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
