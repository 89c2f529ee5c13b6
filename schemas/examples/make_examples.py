#!/usr/bin/env python3
"""Writes the stackd wire examples in this folder from one set of field values.

Uses only the standard library (``struct`` and ``json``), so the binary examples are an
independent statement of the layout in ``schemas/wire.md``: the Swift tests check that
stackd's own encoder produces exactly these bytes.

    python3 schemas/examples/make_examples.py            # (re)write the examples
    python3 schemas/examples/make_examples.py --check    # exit 1 if a file is out of date

Hex files hold lowercase hex, 16 bytes per line, bytes separated by spaces; readers should
ignore all whitespace (``bytes.fromhex`` does).
"""
import json
import os
import struct
import sys

# --- Layouts (schemas/wire.md) -------------------------------------------------------------
PREDICTION_HEADER = "<2sBBBBBBIIqQ"          # 32 bytes, then K float64, model, symbol
LABEL_FIXED = "<2sBBBBBBIIqQdq"              # 48 bytes, then symbol
ENSEMBLE_HEADER = "<2sBBBBBBIIqQQQBBBBI"     # 56 bytes, then K float64, symbol
REGIME_HEADER = "<2sBBBBBBIIqQ"              # 32 bytes, then R int8, symbol
MAGIC, VERSION = b"SK", 1
KIND_PREDICTION, KIND_LABEL, KIND_ENSEMBLE, KIND_REGIME = 1, 2, 3, 5
METHODS = ["average", "weighted_average", "logistic", "xgboost", "mlp"]
FLAG_REGIME_IMPUTED, FLAG_CONTRIBUTIONS = 1, 2
CONTRIBUTIONS_BLOCK_HEADER = "<BBBB"          # version, scale, value count M+2, class; then M+2 float64
CONTRIBUTIONS_BLOCK_VERSION = 1
SCALES = ["logit", "probability"]
COMPLETIONS = ["complete", "deadline", "evicted", "drained"]

# --- The example values ---------------------------------------------------------------------
# Event time 2026-01-01T00:00:00Z in ns since the Unix epoch. Probabilities are dyadic so that
# every encoding and the daemon's averaging reproduce them exactly.
TS = 1_767_225_600_000_000_000

PREDICTION = {
    "v": 1, "type": "prediction", "model": "lgbm", "symbol": "SPX", "horizon": 5,
    "ts": TS, "seq": 42, "probs": [0.125, 0.375, 0.5],
}

LABEL = {
    "v": 1, "type": "label", "symbol": "SPX", "horizon": 5, "ts": TS, "seq": 7,
    "class": 2, "fwd_return": 0.00125, "exit_ts": TS + 300_000_000_000,
}
LABEL_CLASS_COUNT = 3  # binary only: the K the sender labels with

# The output stackd emits when it is configured with models ["lgbm", "mlp", "xgb"] (bits 0, 1,
# 2), receives the prediction above and the same row from "xgb" with probs [0.375, 0.125, 0.5],
# and hits the deadline without "mlp": "mlp" is imputed with the mean of the two, averaging
# gives [0.25, 0.25, 0.5]. It is the first output of horizon 5, so seq is 0.
ENSEMBLE = {
    "v": 1, "type": "ensemble", "symbol": "SPX", "horizon": 5, "ts": TS, "seq": 0,
    "probs": [0.25, 0.25, 0.5], "class": 2, "method": "average", "model_version": 0,
    "models": ["lgbm", "xgb"], "missing": ["mlp"], "completion": "deadline",
    "latency_ns": 1_234_567, "regime_imputed": False,
}
ENSEMBLE_CONFIGURED_MODELS = ["lgbm", "mlp", "xgb"]  # alphabetical: bit i = i-th name

# The same output from a deployment with output.contributions = true. Averaging is linear in the
# base probabilities: each model contributes p[model][class] / M to the served class 2, the
# missing "mlp" through its imputed vector (the mean of the present two, 0.5), so every model
# gives 0.5 / 3; averaging reads no shared column and has no bias. They sum to probs[2].
ENSEMBLE_CONTRIBUTIONS = dict(ENSEMBLE, contributions={
    "v": 1, "space": "probability", "class": 2,
    "models": {"lgbm": 0.5 / 3, "mlp": 0.5 / 3, "xgb": 0.5 / 3}, "shared": 0.0, "bias": 0.0,
})

# The regimes of SPX at the same event time, for a deployment with
# regimes.names = ["vol_regime", "trend_regime"]: low volatility (-1), up trend (+1).
REGIME = {"v": 1, "type": "regime", "symbol": "SPX", "ts": TS, "seq": 3, "values": [-1, 1]}
REGIME_NAMES = ["vol_regime", "trend_regime"]


# --- Encoders -------------------------------------------------------------------------------
def encode_prediction(m):
    model, symbol, probs = m["model"].encode("ascii"), m["symbol"].encode("ascii"), m["probs"]
    header = struct.pack(PREDICTION_HEADER, MAGIC, VERSION, KIND_PREDICTION, len(probs), len(model),
                         len(symbol), 0, m["horizon"], 0, m["ts"], m["seq"])
    return header + struct.pack("<%dd" % len(probs), *probs) + model + symbol


def encode_label(m, class_count):
    symbol = m["symbol"].encode("ascii")
    return struct.pack(LABEL_FIXED, MAGIC, VERSION, KIND_LABEL, m["class"], class_count, len(symbol), 0,
                       m["horizon"], 0, m["ts"], m["seq"], m["fwd_return"], m["exit_ts"]) + symbol


def encode_ensemble(m, configured_models):
    symbol, probs = m["symbol"].encode("ascii"), m["probs"]
    mask = 0
    for i, name in enumerate(configured_models):
        if name in m["models"]:
            mask |= 1 << i
    header = struct.pack(ENSEMBLE_HEADER, MAGIC, VERSION, KIND_ENSEMBLE, len(probs), m["class"], len(symbol),
                         METHODS.index(m["method"]), m["horizon"], m["model_version"], m["ts"], m["seq"],
                         mask, m["latency_ns"], len(configured_models), len(m["models"]),
                         COMPLETIONS.index(m["completion"]),
                         (FLAG_REGIME_IMPUTED if m["regime_imputed"] else 0)
                         | (FLAG_CONTRIBUTIONS if "contributions" in m else 0), 0)
    out = header + struct.pack("<%dd" % len(probs), *probs) + symbol
    if "contributions" in m:
        c = m["contributions"]
        values = [c["models"][name] for name in configured_models] + [c["shared"], c["bias"]]
        out += struct.pack(CONTRIBUTIONS_BLOCK_HEADER, c["v"], SCALES.index(c["space"]), len(values), c["class"])
        out += struct.pack("<%dd" % len(values), *values)
    return out


def encode_regime(m):
    symbol, values = m["symbol"].encode("ascii"), m["values"]
    header = struct.pack(REGIME_HEADER, MAGIC, VERSION, KIND_REGIME, len(values), len(symbol), 0, 0, 0, 0,
                         m["ts"], m["seq"])
    return header + struct.pack("<%db" % len(values), *values) + symbol


def to_hex(data):
    lines = [" ".join("%02x" % b for b in data[i:i + 16]) for i in range(0, len(data), 16)]
    return "\n".join(lines) + "\n"


def to_json(message):
    return json.dumps(message, indent=2) + "\n"


def outputs():
    return {
        "prediction.json": to_json(PREDICTION),
        "label.json": to_json(LABEL),
        "ensemble.json": to_json(ENSEMBLE),
        "prediction.bin.hex": to_hex(encode_prediction(PREDICTION)),
        "label.bin.hex": to_hex(encode_label(LABEL, LABEL_CLASS_COUNT)),
        "ensemble.bin.hex": to_hex(encode_ensemble(ENSEMBLE, ENSEMBLE_CONFIGURED_MODELS)),
        "ensemble-contributions.json": to_json(ENSEMBLE_CONTRIBUTIONS),
        "ensemble-contributions.bin.hex": to_hex(encode_ensemble(ENSEMBLE_CONTRIBUTIONS, ENSEMBLE_CONFIGURED_MODELS)),
        "regime.json": to_json(REGIME),
        "regime.bin.hex": to_hex(encode_regime(REGIME)),
    }


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    check = "--check" in argv
    stale = []
    for name, text in outputs().items():
        path = os.path.join(here, name)
        if check:
            try:
                with open(path) as f:
                    if f.read() != text:
                        stale.append(name)
            except FileNotFoundError:
                stale.append(name)
        else:
            with open(path, "w") as f:
                f.write(text)
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
