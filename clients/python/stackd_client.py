"""A small pyzmq client for stackd, written from ``schemas/wire.md`` alone.

Encode predictions, labels and regimes (binary or JSON) and decode ensemble outputs. Only the Python
standard library and pyzmq are needed; copy this file into your project.
"""
import json
import struct

MAGIC = b"SK"
VERSION = 1
KIND_PREDICTION, KIND_LABEL, KIND_ENSEMBLE = 1, 2, 3
KIND_REGIME = 5
PREDICTION_HEADER = "<2sBBBBBBIIqQ"      # 32 bytes, then K float64, model, symbol
LABEL_FIXED = "<2sBBBBBBIIqQdq"          # 48 bytes, then symbol
ENSEMBLE_HEADER = "<2sBBBBBBIIqQQQBBBBI"  # 56 bytes, then K float64, symbol
REGIME_HEADER = "<2sBBBBBBIIqQ"          # 32 bytes, then R int8, symbol
METHODS = {0: "average", 1: "weighted_average", 2: "logistic", 3: "xgboost", 4: "mlp"}
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


def regime_topic(symbol):
    return f"regime.{symbol}".encode()


def encode_regime(symbol, ts_ns, seq, values, encoding="binary"):
    """Returns ``[topic, payload]`` for the regimes of (symbol, event time), one small integer
    (-128..127) per name of the daemon's ``regimes.names``, in that order; they apply to every
    horizon. Publish them before or with the bar's predictions: a row waits for its regime."""
    values = [int(v) for v in values]
    if not 1 <= len(values) <= 16 or any(not -128 <= v <= 127 for v in values):
        raise ValueError("regime values: 1 to 16 integers in -128..127")
    if encoding == "json":
        payload = json.dumps({"v": VERSION, "type": "regime", "symbol": symbol, "ts": ts_ns, "seq": seq,
                              "values": values}).encode()
    else:
        s = symbol.encode()
        payload = struct.pack(REGIME_HEADER, MAGIC, VERSION, KIND_REGIME, len(values), len(s), 0, 0, 0, 0,
                              ts_ns, seq) + struct.pack("<%db" % len(values), *values) + s
    return [regime_topic(symbol), payload]


def decode_ensemble(payload, model_names=None):
    """Decodes an ensemble output (binary or JSON) into a dict with the JSON field names.

    ``model_names`` (alphabetical, as configured) turns the binary ``present_mask`` into names.
    """
    if payload[:1] == b"{":
        return json.loads(payload)
    (magic, version, kind, k, predicted, symbol_len, method, horizon, model_version, ts, seq, mask, latency,
     model_count, present_count, completion, flags, _) = struct.unpack_from(ENSEMBLE_HEADER, payload)
    if magic != MAGIC or version != VERSION or kind != KIND_ENSEMBLE:
        raise ValueError("not a version-1 stackd ensemble output")
    probs = list(struct.unpack_from(f"<{k}d", payload, 56))
    symbol = payload[56 + 8 * k: 56 + 8 * k + symbol_len].decode()
    out = {"v": version, "type": "ensemble", "symbol": symbol, "horizon": horizon, "ts": ts, "seq": seq,
           "probs": probs, "class": predicted, "method": METHODS.get(method, str(method)),
           "model_version": model_version, "completion": COMPLETIONS.get(completion, str(completion)),
           "latency_ns": latency, "present_mask": mask, "model_count": model_count, "present_count": present_count}
    out["regime_imputed"] = bool(flags & 1)  # with regimes: the row's regime never arrived, imputed as 0
    if model_names is not None:
        out["models"] = [n for i, n in enumerate(model_names) if mask >> i & 1]
        out["missing"] = [n for i, n in enumerate(model_names) if not mask >> i & 1]
    return out


def load_curve_key(path):
    """Reads a CURVE key file (schemas/curve-keys.md) and returns ``(public, secret)`` as Z85 bytes.

    Accepts the certificate format ``stackd keygen`` and ``zmq.auth.create_certificates`` write
    (``public-key = "..."`` / ``secret-key = "..."`` lines; ``secret`` is None for a public file)
    and a file holding one bare 40-character Z85 key, returned as ``(key, None)``.
    """
    public = secret = None
    bare = []
    with open(path, "rb") as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith(b"#") or line in (b"metadata", b"curve"):
                continue
            if b"=" in line:
                name, value = (part.strip() for part in line.split(b"=", 1))
                value = value.strip(b"\"'")
                if name == b"public-key":
                    public = value
                elif name == b"secret-key":
                    secret = value
            else:
                bare.append(line)
    if public is None and secret is None and len(bare) == 1:
        public = bare[0]
    for key in (public, secret):
        if key is not None and len(key) != 40:
            raise ValueError(f"{path}: a CURVE key is 40 Z85 characters, found {len(key)}")
    if public is None:
        raise ValueError(f"{path}: no CURVE key found")
    return public, secret


def configure_curve_client(socket, server_public_key_file, secret_key_file):
    """Makes a pyzmq ``socket`` a CURVE client of stackd; call it before ``connect``.

    ``server_public_key_file`` is the daemon's ``NAME.key``; ``secret_key_file`` is this client's
    ``NAME.key_secret`` (or a bare Z85 secret key), whose public half must be in the daemon's
    ``security.client_keys_directory``.
    """
    import zmq

    server_public, _ = load_curve_key(server_public_key_file)
    public, secret = load_curve_key(secret_key_file)
    if secret is None:  # a bare key in a secret file is the secret key
        secret, public = public, zmq.curve_public(public)
    socket.curve_serverkey = server_public
    socket.curve_publickey = public
    socket.curve_secretkey = secret
    return socket
