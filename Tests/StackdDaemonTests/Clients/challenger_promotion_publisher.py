"""Test peer for ChallengerPromotionLiveTests: a pyzmq publisher and consumer written from schemas/
(via clients/python/stackd_client). Model "a" is informative but shifted: the label is the class
after a's peak (mod 3) 85 % of the time, so averaging, a blend or a's own vector are poor, while a
logistic meta-learner on the probabilities learns the shift. The other models are noise. Bar by bar:
publish both predictions, wait for the bar's ensemble output, then publish its label; every 100
bars, wait until the daemon has finished the retrains those labels triggered. Prints one
JSON object on stdout: per method, the index of the first bar it served and how many it served,
the index of the first bar served by each model version, and the number of missing outputs.

Usage: challenger_promotion_publisher.py INPUT_ENDPOINT OUTPUT_ENDPOINT BARS METRICS_PORT MODELS
(MODELS: comma-separated names, the first the shifted informative one)
"""
import json
import os
import random
import sys
import time
import urllib.request

import zmq

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
from peer_sockets import consumer, publisher  # noqa: E402
from stackd_client import decode_ensemble, encode_label, encode_prediction  # noqa: E402

input_endpoint, output_endpoint, bars, metrics_port = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
models = sys.argv[5].split(",")
ctx = zmq.Context()
pub = publisher(ctx, input_endpoint)
# No output may be lost to the slow joiner: returned once stackd counts the subscription.
sub = consumer(ctx, output_endpoint, metrics_port)

rng = random.Random(20261205)
BASE = 1_767_225_600 * 10**9
first_by_method, served_by_method, first_by_version = {}, {}, {}
missing = 0


def vector(peak):
    w = [rng.uniform(0.2, 0.5) for _ in range(3)]
    w[peak] += 1.5
    return [x / sum(w) for x in w]


def output_for(ts, timeout_ms=5000):
    while sub.poll(timeout_ms):
        topic, payload = sub.recv_multipart()
        if not topic.startswith(b"ens."):
            continue
        out = decode_ensemble(payload, models)
        if out["ts"] == ts:
            return out
    return None


def metrics():
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as r:
        values = {}
        for line in r.read().decode().splitlines():
            if line and not line.startswith("#"):
                sample, value = line.rsplit(" ", 1)
                name = sample.split("{", 1)[0]  # summed over its labels (retrains by decision)
                values[name] = values.get(name, 0.0) + float(value)
        return values


def settle(labels, timeout=120):
    """Waits (bounded) until the daemon has matched `labels` labels and finished every retrain
    they triggered, so the retrain schedule does not depend on how fast this machine trains
    (a retrain still running at the next trigger would absorb it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = metrics()
        # One snapshot: the triggers counted are those of the labels matched in it.
        if m.get("stackd_labels_matched_total", 0) >= labels and \
                m.get("stackd_retrains_total", 0) >= m.get("stackd_retrains_triggered_total", 0):
            return
        sub.poll(20)
    sys.exit(f"stackd did not finish the retrains of its first {labels} labels in {timeout} s")


for t in range(bars):
    ts = BASE + t * 10**9
    peak = rng.randrange(3)
    vectors = [vector(peak)] + [vector(rng.randrange(3)) for _ in models[1:]]
    label = (peak + 1) % 3 if rng.random() < 0.85 else rng.randrange(3)
    for name, v in zip(models, vectors):
        pub.send_multipart(encode_prediction(name, "SPX", 1, ts, t + 1, v))
    out = output_for(ts)
    if out is None:
        missing += 1
        continue
    first_by_method.setdefault(out["method"], t)
    served_by_method[out["method"]] = served_by_method.get(out["method"], 0) + 1
    first_by_version.setdefault(str(out["model_version"]), t)
    pub.send_multipart(encode_label("SPX", 1, ts, t + 1, label, 0.0, exit_ts_ns=ts))
    if t % 100 == 99:
        settle(t + 1)

print(json.dumps({"bars": bars, "missing_outputs": missing, "first_by_method": first_by_method,
                  "served_by_method": served_by_method, "first_by_version": first_by_version}))
