"""Test peer for StackdDaemonTests: a pyzmq publisher written from schemas/ (via
clients/python/stackd_client) that sends good rows, one bad message per reject reason and
labels, then prints on stdout, as one JSON object, what it sent and what stackd must do with it.

Usage: scenario_publisher.py ENDPOINT
"""
import json
import os
import random
import sys

import zmq

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
from stackd_client import encode_label, encode_prediction  # noqa: E402

endpoint = sys.argv[1]
ctx = zmq.Context()
pub = ctx.socket(zmq.XPUB)
pub.setsockopt(zmq.SNDHWM, 0)
pub.connect(endpoint)
if not pub.poll(10000):
    sys.exit("stackd never subscribed")
pub.recv()

rng = random.Random(20261122)
models = ["lgbm", "logreg", "mlp", "xgb"]
messages = 0
rows = []
expected = {}


def send(frames):
    global messages
    pub.send_multipart(frames)
    messages += 1


def bad(reason, frames):
    expected[reason] = expected.get(reason, 0) + 1
    send(frames)


def probs():
    w = [rng.random() + 0.05 for _ in range(3)]
    return [x / sum(w) for x in w]


seq = 0
# Twelve complete rows over two symbols and two horizons, alternating encodings.
for r in range(12):
    symbol, horizon, ts = ("SPX", "QQQ")[r % 2], (5, 10)[(r // 2) % 2], 1_000 + r
    row = {"symbol": symbol, "horizon": horizon, "ts": ts, "probs": {}}
    for m in models:
        p = probs()
        seq += 1
        send(encode_prediction(m, symbol, horizon, ts, seq, p, "json" if (r + seq) % 2 else "binary"))
        row["probs"][m] = p
    rows.append(row)

# A row with xgb missing: emitted at the deadline with three models; one duplicate on the way.
partial = {"symbol": "SPX", "horizon": 5, "ts": 5_000, "probs": {}}
for m in models[:3]:
    p = probs()
    seq += 1
    send(encode_prediction(m, "SPX", 5, 5_000, seq, p))
    partial["probs"][m] = p
bad("duplicate", encode_prediction("lgbm", "SPX", 5, 5_000, seq, [0.9, 0.05, 0.05]))

ok = [0.2, 0.3, 0.5]
topic, good = encode_prediction("lgbm", "SPX", 5, 9_000, 1, ok)
bad("late", encode_prediction("mlp", "SPX", 5, 1_000, 1, ok))
bad("malformed", [topic, b"{not json"])
bad("malformed", [topic, good[:20]])
bad("unsupported_version", [topic, good[:2] + bytes([2]) + good[3:]])
bad("unknown_kind", [topic, b'{"v":1,"type":"weather","ts":1}'])
bad("wrong_arity", encode_prediction("lgbm", "SPX", 5, 9_000, 1, [0.5, 0.5]))
bad("non_finite", [topic, b'{"v":1,"type":"prediction","model":"lgbm","symbol":"SPX","horizon":5,"ts":9000,"probs":[NaN,0.5,0.5]}'])
bad("negative_probability", encode_prediction("lgbm", "SPX", 5, 9_000, 1, [-0.1, 0.6, 0.5]))
bad("bad_sum", encode_prediction("lgbm", "SPX", 5, 9_000, 1, [0.3, 0.3, 0.3], "json"))
bad("unknown_model", encode_prediction("rnn", "SPX", 5, 9_000, 1, ok))
bad("unknown_symbol", encode_prediction("lgbm", "DAX", 5, 9_000, 1, ok))
bad("unknown_horizon", encode_prediction("lgbm", "SPX", 7, 9_000, 1, ok))
bad("oversize", [topic, b'{"v":1,"pad":"' + b"x" * 5000 + b'"}'])
bad("framing", [topic])
bad("framing", [topic, good, b"extra"])
bad("topic_mismatch", [b"pred.SPX.10.lgbm", good])
bad("bad_name", [b"pred.SPX.5.l", b'{"v":1,"type":"prediction","model":"l gbm","symbol":"SPX","horizon":5,"ts":9000,"probs":[0.2,0.3,0.5]}'])
bad("bad_label", encode_label("SPX", 5, 1_000, 1, 7, 0.01))

# Labels: four rows of the twelve (binary and JSON), and one for a row that never existed.
for r in rows[:4]:
    seq += 1
    send(encode_label(r["symbol"], r["horizon"], r["ts"], seq, 2, 0.01, 0, "json" if seq % 2 else "binary"))
seq += 1
send(encode_label("SPX", 5, 777, seq, 0, -0.01))

print(json.dumps({"rows": rows, "partial": partial, "expected_rejects": expected, "messages": messages,
                  "labels_matched": 4, "labels_unmatched": 1}))
pub.close(linger=5000)
ctx.term()
