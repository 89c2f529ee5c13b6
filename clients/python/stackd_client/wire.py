"""Encoding and decoding of every stackd message, written from ``schemas/wire.md`` alone.

Inbound (publishers → stackd): predictions and labels, binary or JSON. Outbound (stackd →
consumers): ensemble outputs, binary or JSON, and alerts, JSON only. Decoders return dicts with
the JSON field names (``TypedDict`` types below), whatever the encoding, so code written against
one encoding reads the other. Encoders of the outbound messages exist for tests and simulators.

Adding a message type (a later wire revision): write its ``encode_*``/``decode_*`` pair here and
add its topic prefix to ``DECODERS``; ``decode`` and the readiness helpers then handle it.
"""
from __future__ import annotations

import json
import struct
import sys
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

if sys.version_info >= (3, 11):
    from typing import NotRequired, TypedDict
else:  # pragma: no cover - older Pythons
    from typing_extensions import NotRequired, TypedDict

MAGIC = b"SK"
VERSION = 1
KIND_PREDICTION, KIND_LABEL, KIND_ENSEMBLE, KIND_ALERT, KIND_REGIME = 1, 2, 3, 4, 5
PREDICTION_HEADER = "<2sBBBBBBIIqQ"       # 32 bytes, then K float64, model, symbol
LABEL_FIXED = "<2sBBBBBBIIqQdq"           # 48 bytes, then symbol
ENSEMBLE_HEADER = "<2sBBBBBBIIqQQQBBBBI"  # 56 bytes, then K float64, symbol
REGIME_HEADER = "<2sBBBBBBIIqQ"           # 32 bytes, then R int8, symbol
METHODS: Dict[int, str] = {0: "average", 1: "weighted_average", 2: "logistic", 3: "xgboost", 4: "mlp"}
COMPLETIONS: Dict[int, str] = {0: "complete", 1: "deadline", 2: "evicted", 3: "drained"}
FLAG_REGIME_IMPUTED, FLAG_CONTRIBUTIONS = 1, 2  # the ensemble output's flags byte (offset 51)
CONTRIBUTIONS_BLOCK = "<BBBB"             # version, scale, value count M+2, class; then M+2 float64
CONTRIBUTIONS_VERSION = 1
SCALES: Dict[int, str] = {0: "logit", 1: "probability"}
ALERT_KINDS = ("psi_drift", "error_drift_adwin", "error_drift_page_hinkley", "skill_decay", "calibration")

Frames = List[bytes]
"""``[topic, payload]``, for ``socket.send_multipart``."""

Prediction = TypedDict("Prediction", {
    "v": int, "type": str, "model": str, "symbol": str, "horizon": int, "ts": int, "seq": int,
    "probs": List[float],
})
Label = TypedDict("Label", {
    "v": int, "type": str, "symbol": str, "horizon": int, "ts": int, "seq": int, "class": int,
    "fwd_return": float, "exit_ts": int,
    # Binary only: the K the sender stated (0 = not stated).
    "class_count": NotRequired[int],
})
Contributions = TypedDict("Contributions", {
    "v": int, "space": str, "class": int, "shared": float, "bias": float,
    # Model name -> contribution; from binary only when the configured model names are given.
    "models": NotRequired[Dict[str, float]],
    # Binary only: the M per-model values in configured (byte-wise sorted) model order.
    "model_values": NotRequired[List[float]],
})
EnsembleOutput = TypedDict("EnsembleOutput", {
    "v": int, "type": str, "symbol": str, "horizon": int, "ts": int, "seq": int, "probs": List[float],
    "class": int, "method": str, "model_version": int, "completion": str, "latency_ns": int,
    # JSON always; binary only when the configured model names are given to the decoder.
    "models": NotRequired[List[str]], "missing": NotRequired[List[str]],
    # Binary only.
    "present_mask": NotRequired[int], "model_count": NotRequired[int], "present_count": NotRequired[int],
    # With regimes configured: the row's regime never arrived and was imputed as 0 (binary flags bit 0).
    "regime_imputed": NotRequired[bool],
    # With output.contributions: each model's share of the served class (wire.md §4.3.1).
    "contributions": NotRequired[Contributions],
})
Regime = TypedDict("Regime", {
    "v": int, "type": str, "symbol": str, "ts": int, "seq": int, "values": List[int],
})
Alert = TypedDict("Alert", {
    "v": int, "type": str, "kind": str, "horizon": int, "statistic": float, "threshold": float, "ts": int,
    "message": str, "triggers_retrain": bool,
    "model": NotRequired[str], "class": NotRequired[int],
})
Message = Union[Prediction, Label, EnsembleOutput, Alert, Regime]


class WireError(ValueError):
    """A payload that is not a valid version-1 stackd message of the expected kind."""


# Topics (schemas/wire.md §2)

def prediction_topic(symbol: str, horizon: int, model: str) -> bytes:
    return f"pred.{symbol}.{horizon}.{model}".encode()


def label_topic(symbol: str, horizon: int) -> bytes:
    return f"label.{symbol}.{horizon}".encode()


def ensemble_topic(symbol: str, horizon: int) -> bytes:
    return f"ens.{symbol}.{horizon}".encode()


def regime_topic(symbol: str) -> bytes:
    return f"regime.{symbol}".encode()


def alert_topic(kind: str) -> bytes:
    return f"alert.{kind}".encode()


def _is_json(payload: bytes) -> bool:
    """§3: JSON starts with ``{`` or JSON whitespace; binary with the magic's ``S``."""
    return payload[:1] in (b"{", b" ", b"\t", b"\n", b"\r")


def _json_object(payload: bytes, expected_type: str) -> Dict[str, Any]:
    try:
        obj = json.loads(payload)
    except ValueError as e:
        raise WireError(f"malformed JSON: {e}") from None
    if not isinstance(obj, dict) or obj.get("type") != expected_type or obj.get("v") != VERSION:
        raise WireError(f"not a version-{VERSION} {expected_type} message")
    return obj


def _header(payload: bytes, fmt: str, kind: int) -> Tuple[Any, ...]:
    size = struct.calcsize(fmt)
    if len(payload) < size:
        raise WireError(f"binary payload of {len(payload)} bytes is shorter than the {size}-byte header")
    fields = struct.unpack_from(fmt, payload)
    if fields[0] != MAGIC or fields[1] != VERSION or fields[2] != kind:
        raise WireError(f"not a version-{VERSION} binary message of kind {kind}")
    return fields


def _check_length(payload: bytes, expected: int) -> None:
    if len(payload) != expected:
        raise WireError(f"binary payload is {len(payload)} bytes, its header announces {expected}")


# Prediction (§4.1, §5.1)

def encode_prediction(model: str, symbol: str, horizon: int, ts_ns: int, seq: int, probs: Sequence[float],
                      encoding: str = "binary") -> Frames:
    """A base model's class probabilities for one (symbol, horizon, event time)."""
    if encoding == "json":
        payload = json.dumps({"v": VERSION, "type": "prediction", "model": model, "symbol": symbol,
                              "horizon": horizon, "ts": ts_ns, "seq": seq, "probs": list(probs)}).encode()
    elif encoding == "binary":
        m, s = model.encode(), symbol.encode()
        payload = (struct.pack(PREDICTION_HEADER, MAGIC, VERSION, KIND_PREDICTION, len(probs), len(m), len(s), 0,
                               horizon, 0, ts_ns, seq)
                   + struct.pack(f"<{len(probs)}d", *probs) + m + s)
    else:
        raise ValueError(f"encoding must be 'binary' or 'json', not {encoding!r}")
    return [prediction_topic(symbol, horizon, model), payload]


def decode_prediction(payload: bytes) -> Prediction:
    if _is_json(payload):
        obj = _json_object(payload, "prediction")
        return Prediction(v=obj["v"], type="prediction", model=obj["model"], symbol=obj["symbol"],
                          horizon=obj["horizon"], ts=obj["ts"], seq=obj.get("seq", 0), probs=list(obj["probs"]))
    _, _, _, k, model_len, symbol_len, _, horizon, _, ts, seq = _header(payload, PREDICTION_HEADER, KIND_PREDICTION)
    _check_length(payload, 32 + 8 * k + model_len + symbol_len)
    o = 32 + 8 * k
    return Prediction(v=VERSION, type="prediction", model=payload[o:o + model_len].decode(),
                      symbol=payload[o + model_len:].decode(), horizon=horizon, ts=ts, seq=seq,
                      probs=list(struct.unpack_from(f"<{k}d", payload, 32)))


# Label (§4.2, §5.2)

def encode_label(symbol: str, horizon: int, ts_ns: int, seq: int, class_index: int, fwd_return: float,
                 exit_ts_ns: int = 0, encoding: str = "binary", class_count: int = 3) -> Frames:
    """The realized class of a row (K = 3: 0 short, 1 neutral, 2 long). ``class_count`` is the K the
    binary label states (0 = not stated); it must equal the deployment's ``models.classes``."""
    if encoding == "json":
        payload = json.dumps({"v": VERSION, "type": "label", "symbol": symbol, "horizon": horizon, "ts": ts_ns,
                              "seq": seq, "class": class_index, "fwd_return": fwd_return,
                              "exit_ts": exit_ts_ns}).encode()
    elif encoding == "binary":
        s = symbol.encode()
        payload = struct.pack(LABEL_FIXED, MAGIC, VERSION, KIND_LABEL, class_index, class_count, len(s), 0,
                              horizon, 0, ts_ns, seq, fwd_return, exit_ts_ns) + s
    else:
        raise ValueError(f"encoding must be 'binary' or 'json', not {encoding!r}")
    return [label_topic(symbol, horizon), payload]


def decode_label(payload: bytes) -> Label:
    if _is_json(payload):
        obj = _json_object(payload, "label")
        return Label({"v": obj["v"], "type": "label", "symbol": obj["symbol"], "horizon": obj["horizon"],
                      "ts": obj["ts"], "seq": obj.get("seq", 0), "class": obj["class"],
                      "fwd_return": obj.get("fwd_return", 0.0), "exit_ts": obj.get("exit_ts", 0)})
    (_, _, _, cls, k, symbol_len, _, horizon, _, ts, seq, fwd, exit_ts) = _header(payload, LABEL_FIXED, KIND_LABEL)
    _check_length(payload, 48 + symbol_len)
    return Label({"v": VERSION, "type": "label", "symbol": payload[48:].decode(), "horizon": horizon, "ts": ts,
                  "seq": seq, "class": cls, "fwd_return": fwd, "exit_ts": exit_ts, "class_count": k})


# Ensemble output (§4.3, §5.3)

def encode_ensemble(output: EnsembleOutput, encoding: str = "binary",
                    model_names: Optional[Sequence[str]] = None) -> Frames:
    """What stackd publishes, for tests and simulators of a consumer. Binary needs either
    ``present_mask``/``model_count`` in ``output`` or ``model_names`` with ``output["models"]``."""
    if encoding == "json":
        keys = ("v", "type", "symbol", "horizon", "ts", "seq", "probs", "class", "method", "model_version",
                "models", "missing", "completion", "latency_ns", "regime_imputed", "contributions")
        payload = json.dumps({k: output[k] for k in keys if k in output}).encode()  # type: ignore[literal-required]
    elif encoding == "binary":
        if "present_mask" in output:
            mask, count = output["present_mask"], output.get("model_count", 0)
        elif model_names is not None:
            present = set(output.get("models", []))
            mask = sum(1 << i for i, n in enumerate(model_names) if n in present)
            count = len(model_names)
        else:
            raise ValueError("a binary ensemble output needs present_mask or model_names")
        method = {v: k for k, v in METHODS.items()}[output["method"]]
        completion = {v: k for k, v in COMPLETIONS.items()}[output["completion"]]
        s, probs = output["symbol"].encode(), output["probs"]
        contributions = output.get("contributions")
        flags = ((FLAG_REGIME_IMPUTED if output.get("regime_imputed") else 0)
                 | (FLAG_CONTRIBUTIONS if contributions is not None else 0))
        payload = (struct.pack(ENSEMBLE_HEADER, MAGIC, VERSION, KIND_ENSEMBLE, len(probs), output["class"], len(s),
                               method, output["horizon"], output["model_version"], output["ts"], output["seq"],
                               mask, output["latency_ns"], count, bin(mask).count("1"), completion, flags, 0)
                   + struct.pack(f"<{len(probs)}d", *probs) + s)
        if contributions is not None:
            payload += _encode_contributions(contributions, model_names)
    else:
        raise ValueError(f"encoding must be 'binary' or 'json', not {encoding!r}")
    return [ensemble_topic(output["symbol"], output["horizon"]), payload]


def decode_ensemble(payload: bytes, model_names: Optional[Sequence[str]] = None) -> EnsembleOutput:
    """An ensemble output (binary or JSON) with the JSON field names.

    ``model_names`` (sorted byte-wise, as configured) turns the binary ``present_mask`` into
    ``models`` and ``missing``; the JSON encoding carries them already.
    """
    if _is_json(payload):
        return _json_object(payload, "ensemble")  # type: ignore[return-value]
    (_, version, _, k, predicted, symbol_len, method, horizon, model_version, ts, seq, mask, latency,
     model_count, present_count, completion, flags, _) = _header(payload, ENSEMBLE_HEADER, KIND_ENSEMBLE)
    end = 56 + 8 * k + symbol_len
    contributions = None
    if flags & FLAG_CONTRIBUTIONS:
        contributions = _decode_contributions(payload, end, model_names)
        end += 4 + 8 * (len(contributions["model_values"]) + 2)
    _check_length(payload, end)
    out = EnsembleOutput({
        "v": version, "type": "ensemble", "symbol": payload[56 + 8 * k:56 + 8 * k + symbol_len].decode(),
        "horizon": horizon, "ts": ts,
        "seq": seq, "probs": list(struct.unpack_from(f"<{k}d", payload, 56)), "class": predicted,
        "method": METHODS.get(method, str(method)), "model_version": model_version,
        "completion": COMPLETIONS.get(completion, str(completion)), "latency_ns": latency,
        "present_mask": mask, "model_count": model_count, "present_count": present_count,
        "regime_imputed": bool(flags & FLAG_REGIME_IMPUTED)})
    if model_names is not None:
        out["models"] = [n for i, n in enumerate(model_names) if mask >> i & 1]
        out["missing"] = [n for i, n in enumerate(model_names) if not mask >> i & 1]
    if contributions is not None:
        out["contributions"] = contributions
    return out


def _encode_contributions(c: Contributions, model_names: Optional[Sequence[str]]) -> bytes:
    """The block after the symbol (§4.3.1): values in configured model order, then shared, bias."""
    if "model_values" in c:
        values = list(c["model_values"])
    else:
        names = list(model_names) if model_names is not None else sorted(c["models"])
        values = [c["models"][n] for n in names]
    values += [c["shared"], c["bias"]]
    scale = {v: k for k, v in SCALES.items()}[c["space"]]
    return (struct.pack(CONTRIBUTIONS_BLOCK, c.get("v", CONTRIBUTIONS_VERSION), scale, len(values), c["class"])
            + struct.pack(f"<{len(values)}d", *values))


def _decode_contributions(payload: bytes, at: int, model_names: Optional[Sequence[str]]) -> Contributions:
    if len(payload) < at + 4:
        raise WireError("flags announce a contributions block, but the payload ends before it")
    block_version, scale, count, cls = struct.unpack_from(CONTRIBUTIONS_BLOCK, payload, at)
    if block_version != CONTRIBUTIONS_VERSION:
        raise WireError(f"contributions block version {block_version} is not {CONTRIBUTIONS_VERSION}")
    if count < 3 or len(payload) < at + 4 + 8 * count:
        raise WireError(f"contributions block of {count} values does not fit the payload")
    values = list(struct.unpack_from(f"<{count}d", payload, at + 4))
    out = Contributions({"v": block_version, "space": SCALES.get(scale, str(scale)), "class": cls,
                         "model_values": values[:-2], "shared": values[-2], "bias": values[-1]})
    if model_names is not None:
        if len(model_names) != count - 2:
            raise WireError(f"contributions for {count - 2} models, {len(model_names)} model names given")
        out["models"] = dict(zip(model_names, values[:-2]))
    return out


# Regime (inbound, kind 5)

def encode_regime(symbol: str, ts_ns: int, seq: int, values: Sequence[int], encoding: str = "binary") -> Frames:
    """The regimes of (symbol, event time): one small integer (-128..127) per name of the daemon's
    ``regimes.names``, in that order; they apply to every horizon. Publish them before or with the
    bar's predictions: a row waits for its regime."""
    ints = [int(v) for v in values]
    if not 1 <= len(ints) <= 16 or any(not -128 <= v <= 127 for v in ints):
        raise ValueError("regime values: 1 to 16 integers in -128..127")
    if encoding == "json":
        payload = json.dumps({"v": VERSION, "type": "regime", "symbol": symbol, "ts": ts_ns, "seq": seq,
                              "values": ints}).encode()
    elif encoding == "binary":
        s = symbol.encode()
        payload = (struct.pack(REGIME_HEADER, MAGIC, VERSION, KIND_REGIME, len(ints), len(s), 0, 0, 0, 0, ts_ns, seq)
                   + struct.pack(f"<{len(ints)}b", *ints) + s)
    else:
        raise ValueError(f"encoding must be 'binary' or 'json', not {encoding!r}")
    return [regime_topic(symbol), payload]


def decode_regime(payload: bytes) -> Regime:
    """A regime message (binary or JSON) with the JSON field names."""
    if _is_json(payload):
        return _json_object(payload, "regime")  # type: ignore[return-value]
    (_, version, _, r, symbol_len, _, _, _, _, ts, seq) = _header(payload, REGIME_HEADER, KIND_REGIME)
    _check_length(payload, 32 + r + symbol_len)
    return Regime({"v": version, "type": "regime", "symbol": payload[32 + r:].decode(), "ts": ts, "seq": seq,
                   "values": list(struct.unpack_from(f"<{r}b", payload, 32))})


# Alert (§5.4): JSON only

def encode_alert(alert: Alert) -> Frames:
    """An alert as stackd publishes it on ``alert.<kind>`` (for tests and simulators)."""
    return [alert_topic(alert["kind"]), json.dumps(dict(alert)).encode()]


def decode_alert(payload: bytes) -> Alert:
    """A drift or calibration alert. Unknown ``kind`` values are kept: new kinds may be added."""
    return _json_object(payload, "alert")  # type: ignore[return-value]


# Any message, by topic

Decoder = Callable[[bytes], Message]

DECODERS: Dict[bytes, Decoder] = {
    b"pred.": decode_prediction,
    b"label.": decode_label,
    b"ens.": decode_ensemble,
    b"alert.": decode_alert,
    b"regime.": decode_regime,
}
"""Topic prefix → decoder; the first prefix the topic starts with wins."""


def decode(topic: bytes, payload: bytes, model_names: Optional[Sequence[str]] = None) -> Tuple[str, Message]:
    """Decodes a ``[topic, payload]`` pair of any kind; returns (message type, message)."""
    for prefix, decoder in DECODERS.items():
        if topic.startswith(prefix):
            message = decode_ensemble(payload, model_names) if decoder is decode_ensemble else decoder(payload)
            return message["type"], message
    raise WireError(f"no decoder for topic {topic!r}")
