"""Publish base-model predictions and labels to a running stackd (see README).

Usage: python publish_predictions.py [--endpoint tcp://127.0.0.1:5555] [--rows 100]
       [--curve-server-key stackd.key --curve-secret-key lgbm.key_secret]
stackd's example configuration binds its subscriber on tcp://127.0.0.1:5555, so this
publisher connects. An XPUB socket tells us when stackd's subscription has arrived, so no
message is lost to the slow-joiner effect and we never need to sleep.
"""
import argparse
import os
import random
import sys

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # without `pip install`
from stackd_client import configure_curve_client, encode_label, encode_prediction, wait_for_subscription  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--endpoint", default="tcp://127.0.0.1:5555")
ap.add_argument("--rows", type=int, default=100)
ap.add_argument("--encoding", choices=["binary", "json"], default="binary")
ap.add_argument("--curve-server-key", help="stackd's public key file (NAME.key): connect with CURVE")
ap.add_argument("--curve-secret-key", help="this client's secret key file (NAME.key_secret), with --curve-server-key")
args = ap.parse_args()

ctx = zmq.Context()
pub = ctx.socket(zmq.XPUB)
pub.setsockopt(zmq.SNDHWM, 0)
if args.curve_server_key:
    configure_curve_client(pub, args.curve_server_key, args.curve_secret_key)
pub.connect(args.endpoint)
try:
    wait_for_subscription(pub, timeout=5)  # stackd's pred. and label. subscriptions
except TimeoutError:
    sys.exit(f"stackd is not subscribed at {args.endpoint} (is `stackd run` up?)")

rng = random.Random(7)
models = ["lgbm", "logreg", "mlp", "xgb"]
day = 86_400 * 10**9
t0 = 1_735_689_600 * 10**9  # 2025-01-01T00:00:00Z
seqs = {}
for i in range(args.rows):
    ts = t0 + i * day
    for model in models:
        w = [rng.random() + 0.1 for _ in range(3)]
        probs = [x / sum(w) for x in w]
        seqs[model] = seqs.get(model, 0) + 1  # one sequence per publisher (here: per model)
        pub.send_multipart(encode_prediction(model, "SPX", 5, ts, seqs[model], probs, args.encoding))
    if i >= 5:  # the label of row i-5 becomes known five bars later
        seqs["labels"] = seqs.get("labels", 0) + 1
        pub.send_multipart(encode_label("SPX", 5, t0 + (i - 5) * day, seqs["labels"], rng.randrange(3), 0.001, ts,
                                        args.encoding))
print(f"published {args.rows} rows x {len(models)} models to {args.endpoint}")
pub.close(linger=2000)
ctx.term()
