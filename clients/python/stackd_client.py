"""A small pyzmq client for stackd, written from ``schemas/wire.md`` alone.

Encode predictions and labels (binary or JSON) and decode ensemble outputs. Only the Python
standard library and pyzmq are needed; copy this file into your project.
"""
import json
import struct

MAGIC = b"SK"
VERSION = 1
KIND_PREDICTION, KIND_LABEL, KIND_ENSEMBLE = 1, 2, 3
PREDICTION_HEADER = "<2sBBBBBBIIqQ"      # 32 bytes, then K float64, model, symbol
LABEL_FIXED = "<2sBBBBBBIIqQdq"          # 48 bytes, then symbol
ENSEMBLE_HEADER = "<2sBBBBBBIIqQQQBBBBI"  # 56 bytes, then K float64, symbol
METHODS = {0: "average", 1: "weighted_average", 2: "logistic", 3: "xgboost"}
COMPLETIONS = {0: "complete", 1: "deadline", 2: "evicted", 3: "drained"}


def prediction_topic(symbol, horizon, model):
    return f"pred.{symbol}.{horizon}.{model}".encode()


def label_topic(symbol, horizon):
    return f"label.{symbol}.{horizon}".encode()


def encode_prediction(model, symbol, horizon, ts_ns, seq, probs, encoding="binary"):
    """Returns ``[topic, payload]`` for ``socket.send_multipart``."""
    if encoding == "json":
        payload = json.dumps({"v": VERSION, "type": "prediction", "model": model, "symbol": symbol,
                              "horizon": horizon, "ts": ts_ns, "seq": seq, "probs": list(probs)}).encode()
    else:
        m, s = model.encode(), symbol.encode()
        payload = (struct.pack(PREDICTION_HEADER, MAGIC, VERSION, KIND_PREDICTION, len(probs), len(m), len(s), 0,
                               horizon, 0, ts_ns, seq)
                   + struct.pack(f"<{len(probs)}d", *probs) + m + s)
    return [prediction_topic(symbol, horizon, model), payload]


def encode_label(symbol, horizon, ts_ns, seq, class_index, fwd_return, exit_ts_ns=0, encoding="binary", class_count=3):
    """Returns ``[topic, payload]``; ``class_index`` is 0 short, 1 neutral, 2 long."""
    if encoding == "json":
        payload = json.dumps({"v": VERSION, "type": "label", "symbol": symbol, "horizon": horizon, "ts": ts_ns,
                              "seq": seq, "class": class_index, "fwd_return": fwd_return,
                              "exit_ts": exit_ts_ns}).encode()
    else:
        s = symbol.encode()
        payload = struct.pack(LABEL_FIXED, MAGIC, VERSION, KIND_LABEL, class_index, class_count, len(s), 0,
                              horizon, 0, ts_ns, seq, fwd_return, exit_ts_ns) + s
    return [label_topic(symbol, horizon), payload]


def decode_ensemble(payload, model_names=None):
    """Decodes an ensemble output (binary or JSON) into a dict with the JSON field names.

    ``model_names`` (alphabetical, as configured) turns the binary ``present_mask`` into names.
    """
    if payload[:1] == b"{":
        return json.loads(payload)
    (magic, version, kind, k, predicted, symbol_len, method, horizon, model_version, ts, seq, mask, latency,
     model_count, present_count, completion, _, _) = struct.unpack_from(ENSEMBLE_HEADER, payload)
    if magic != MAGIC or version != VERSION or kind != KIND_ENSEMBLE:
        raise ValueError("not a version-1 stackd ensemble output")
    probs = list(struct.unpack_from(f"<{k}d", payload, 56))
    symbol = payload[56 + 8 * k: 56 + 8 * k + symbol_len].decode()
    out = {"v": version, "type": "ensemble", "symbol": symbol, "horizon": horizon, "ts": ts, "seq": seq,
           "probs": probs, "class": predicted, "method": METHODS.get(method, str(method)),
           "model_version": model_version, "completion": COMPLETIONS.get(completion, str(completion)),
           "latency_ns": latency, "present_mask": mask, "model_count": model_count, "present_count": present_count}
    if model_names is not None:
        out["models"] = [n for i, n in enumerate(model_names) if mask >> i & 1]
        out["missing"] = [n for i, n in enumerate(model_names) if not mask >> i & 1]
    return out
