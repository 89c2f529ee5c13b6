"""Test peer for ChallengerLiveTests: a pyzmq publisher and consumer written from schemas/ (via
clients/python/stackd_client). Model "a" is informative (each label is drawn from its vector),
"b" is noise. Bar by bar: publish both predictions, wait for the bar's ensemble output, then
publish its label. Prints one JSON object on stdout: every output seen, and the served
ensemble's log-loss over the rows emitted by a learned model (model_version >= 1), which are
exactly the rows the challengers are scored on (they are installed with the first learned model).

Usage: challenger_publisher.py INPUT_ENDPOINT OUTPUT_ENDPOINT BARS METRICS_PORT
"""
import json
import math
import os
import random
import sys

import zmq

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
from peer_sockets import consumer, publisher  # noqa: E402
from stackd_client import decode_ensemble, encode_label, encode_prediction  # noqa: E402

input_endpoint, output_endpoint, bars, metrics_port = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ctx = zmq.Context()
pub = publisher(ctx, input_endpoint)
# No output may be lost to the slow joiner: returned once stackd counts the subscription.
sub = consumer(ctx, output_endpoint, metrics_port)

rng = random.Random(20261204)
BASE = 1_767_225_600 * 10**9
methods = set()
topics = set()
learned_losses = []
missing = 0


def vector(peak):
    w = [rng.uniform(0.2, 0.5) for _ in range(3)]
    w[peak] += 1.5
    return [x / sum(w) for x in w]


def output_for(ts, timeout_ms=5000):
    while sub.poll(timeout_ms):
        topic, payload = sub.recv_multipart()
        topics.add(topic.split(b".")[0].decode())
        if not topic.startswith(b"ens."):
            continue
        out = decode_ensemble(payload, ["a", "b"])
        if out["ts"] == ts:
            return out
    return None


for t in range(bars):
    ts = BASE + t * 10**9
    a = vector(rng.randrange(3))
    b = vector(rng.randrange(3))
    label = rng.choices(range(3), weights=a)[0]
    pub.send_multipart(encode_prediction("a", "SPX", 1, ts, t + 1, a))
    pub.send_multipart(encode_prediction("b", "SPX", 1, ts, t + 1, b))
    out = output_for(ts)
    if out is None:
        missing += 1
        continue
    methods.add(out["method"])
    if out["model_version"] >= 1:
        learned_losses.append(-math.log(max(out["probs"][label], 1e-15)))
    pub.send_multipart(encode_label("SPX", 1, ts, t + 1, label, 0.0, exit_ts_ns=ts))
    if out["model_version"] == 0 and t >= 100:
        sub.poll(20)  # pace while the first retrain runs on the daemon's worker thread (bounded)

print(json.dumps({"bars": bars, "missing_outputs": missing, "methods": sorted(methods), "topics": sorted(topics),
                  "learned_rows": len(learned_losses),
                  "learned_log_loss": sum(learned_losses) / len(learned_losses) if learned_losses else None}))
