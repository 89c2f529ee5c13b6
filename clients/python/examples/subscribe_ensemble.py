"""Print the ensemble outputs of a running stackd (see README).

Usage: python subscribe_ensemble.py [--endpoint tcp://127.0.0.1:5556] [--count 100] [--prefix ens.SPX.]
"""
import argparse
import os
import sys

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # without `pip install`
from stackd_client import configure_curve_client, decode_ensemble  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--endpoint", default="tcp://127.0.0.1:5556")
ap.add_argument("--count", type=int, default=100)
ap.add_argument("--prefix", default="ens.")
ap.add_argument("--timeout-ms", type=int, default=10000)
ap.add_argument("--curve-server-key", help="stackd's public key file (NAME.key): connect with CURVE")
ap.add_argument("--curve-secret-key", help="this client's secret key file (NAME.key_secret), with --curve-server-key")
args = ap.parse_args()

ctx = zmq.Context()
sub = ctx.socket(zmq.SUB)
sub.setsockopt(zmq.SUBSCRIBE, args.prefix.encode())
sub.setsockopt(zmq.RCVTIMEO, args.timeout_ms)
if args.curve_server_key:
    configure_curve_client(sub, args.curve_server_key, args.curve_secret_key)
sub.connect(args.endpoint)
models = ["lgbm", "logreg", "mlp", "xgb"]
for _ in range(args.count):
    try:
        topic, payload = sub.recv_multipart()
    except zmq.Again:
        sys.exit(f"no output for {args.timeout_ms} ms")
    out = decode_ensemble(payload, models)
    p = ", ".join(f"{x:.3f}" for x in out["probs"])
    print(f"{topic.decode():14s} ts={out['ts']} class={out['class']} p=[{p}] {out['method']} "
          f"v{out['model_version']} models={','.join(out.get('models', []))} {out['completion']}")
sub.close(linger=0)
ctx.term()
