"""Test peer for RegimeLiveTests: a pyzmq publisher and consumer written from schemas/ (via
clients/python/stackd_client). Two base models publish uninformative vectors; the label of each
bar is decided by its regime alone (vol_regime +1: long, -1: short). Only a meta-model that reads
the regime column can predict it, so once the daemon has retrained (promotion "always") its
outputs must follow the regime. Prints one JSON object on stdout with what it saw.

Usage: regime_publisher.py INPUT_ENDPOINT OUTPUT_ENDPOINT
"""
import json
import os
import random
import sys

import zmq

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
from peer_sockets import consumer, publisher  # noqa: E402
from stackd_client import decode_ensemble, encode_label, encode_prediction, encode_regime  # noqa: E402

input_endpoint, output_endpoint = sys.argv[1], sys.argv[2]
ctx = zmq.Context()
# stackd subscribes to pred., label. and regime.: wait for all three (bounded).
pub = publisher(ctx, input_endpoint, prefixes=(b"pred.", b"label.", b"regime."))
sub = consumer(ctx, output_endpoint, prefix=b"ens.")

rng = random.Random(20261204)
seq = {"a": 0, "b": 0, "label": 0, "regime": 0}
BASE = 1_767_225_600 * 10**9


def uninformative():
    w = [rng.uniform(0.8, 1.2) for _ in range(3)]
    return [x / sum(w) for x in w]


def next_seq(stream):
    seq[stream] += 1
    return seq[stream]


def bar(t, encoding):
    """Publishes bar t (regime first, as a regime feed knows it at the bar) and its label."""
    ts = BASE + t * 10**9
    regime = rng.choice([-1, 1])
    pub.send_multipart(encode_regime("SPX", ts, next_seq("regime"), [regime], encoding=encoding))
    for m in ("a", "b"):
        pub.send_multipart(encode_prediction(m, "SPX", 1, ts, next_seq(m), uninformative(), encoding=encoding))
    label = 2 if regime > 0 else 0
    pub.send_multipart(encode_label("SPX", 1, ts, next_seq("label"), label, 0.01 * regime, exit_ts_ns=ts))
    return ts, label


def output_for(ts, timeout_ms=5000):
    while sub.poll(timeout_ms):
        _, payload = sub.recv_multipart()
        out = decode_ensemble(payload, ["a", "b"])
        if out["ts"] == ts:
            return out
    return None


# Phase 1: 300 bars the daemon learns from (retrains every 100 labels, installs every fit).
for t in range(300):
    bar(t, "binary" if t % 2 else "json")

# Phase 2: bar by bar until the learned model serves, then 20 more bars checked.
summary = {"waited_bars": 0, "checked": 0, "agree": 0, "methods": [], "completions": [], "missing_outputs": 0}
t = 300
while summary["checked"] < 20 and t < 700:
    ts, label = bar(t, "binary")
    t += 1
    out = output_for(ts)
    if out is None:
        summary["missing_outputs"] += 1
        continue
    if out["method"] != "logistic":
        # The retrain runs on the daemon's worker thread; its model applies from the next bar
        # after it finishes. Pace the bars meanwhile (bounded: at most 400 bars of 50 ms).
        summary["waited_bars"] += 1
        sub.poll(50)
        continue
    summary["checked"] += 1
    summary["agree"] += int(out["class"] == label)
    summary["methods"].append(out["method"])
    summary["completions"].append(out["completion"])
    summary["model_version"] = out["model_version"]
summary["bars"] = t
print(json.dumps(summary))
