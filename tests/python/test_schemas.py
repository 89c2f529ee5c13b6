"""Keeps schemas/ true: JSON examples validate, invalid variants do not, and the binary hex
examples decode with the struct formats documented in schemas/wire.md to the same values as
the JSON examples.

Run with: .venv/bin/python -m pytest tests/python -q (scripts/test.sh runs it)   (needs jsonschema, pytest)
"""
import copy
import json
import math
import pathlib
import re
import struct
import subprocess
import sys

import pytest
from jsonschema import Draft202012Validator

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
EXAMPLES = SCHEMAS / "examples"

# The formats exactly as written in wire.md (checked against it below).
PREDICTION_HEADER = "<2sBBBBBBIIqQ"
LABEL_FIXED = "<2sBBBBBBIIqQdq"
ENSEMBLE_HEADER = "<2sBBBBBBIIqQQQBBBBI"
METHODS = ["average", "weighted_average", "logistic", "xgboost", "mlp"]
COMPLETIONS = ["complete", "deadline", "evicted", "drained"]
KINDS = ["prediction", "label", "ensemble"]
# Fields a message carries only when the deployment asks for them.
OPTIONAL = {"ensemble": {"contributions"}}
CONTRIBUTIONS_BLOCK = "<BBBB"  # version, scale, value count M+2, class; then M+2 float64
SCALES = ["logit", "probability"]


def load_json(name):
    return json.loads((EXAMPLES / name).read_text())


def load_hex(name):
    return bytes.fromhex((EXAMPLES / name).read_text())


def validator(kind):
    schema = json.loads((SCHEMAS / ("%s.schema.json" % kind)).read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


# --- Schema files themselves ----------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_valid_draft_2020_12_with_id_and_version_const(kind):
    schema = json.loads((SCHEMAS / ("%s.schema.json" % kind)).read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "urn:stackd:wire:v1:%s" % kind
    assert schema["properties"]["v"] == {"description": schema["properties"]["v"]["description"], "const": 1}
    assert schema["properties"]["type"]["const"] == kind
    assert set(schema["required"]) == set(schema["properties"]) - OPTIONAL.get(kind, set())


@pytest.mark.parametrize("kind", KINDS)
def test_every_field_has_a_description(kind):
    schema = json.loads((SCHEMAS / ("%s.schema.json" % kind)).read_text())

    def walk(node, path):
        if isinstance(node, dict):
            if "type" in node or "const" in node or "enum" in node or "$ref" in node:
                assert node.get("description") or "$ref" in node and path.endswith("items"), path
            for key, value in node.items():
                if key in ("properties", "$defs"):
                    for name, sub in value.items():
                        assert "description" in sub, "%s.%s" % (path, name)
                        walk(sub, "%s.%s" % (path, name))
                elif key == "items":
                    walk(value, path + ".items")

    walk(schema, kind)


# --- JSON examples --------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_json_example_validates(kind):
    validator(kind).validate(load_json("%s.json" % kind))


def invalid_variants(kind):
    base = load_json("%s.json" % kind)
    out = []

    def variant(label, mutate):
        m = copy.deepcopy(base)
        mutate(m)
        out.append(pytest.param(kind, m, id="%s-%s" % (kind, label)))

    variant("v2", lambda m: m.update(v=2))
    variant("v-string", lambda m: m.update(v="1"))
    variant("missing-ts", lambda m: m.pop("ts"))
    variant("missing-symbol", lambda m: m.pop("symbol"))
    variant("wrong-type", lambda m: m.update(type="alert"))
    variant("ts-float", lambda m: m.update(ts=1.5))
    variant("ts-string", lambda m: m.update(ts=str(m["ts"])))
    variant("horizon-zero", lambda m: m.update(horizon=0))
    variant("horizon-over-u32", lambda m: m.update(horizon=2 ** 32))
    variant("seq-negative", lambda m: m.update(seq=-1))
    variant("symbol-with-dot", lambda m: m.update(symbol="SP.X"))
    variant("symbol-with-space", lambda m: m.update(symbol="SP X"))
    variant("symbol-empty", lambda m: m.update(symbol=""))
    variant("symbol-65-bytes", lambda m: m.update(symbol="S" * 65))
    variant("symbol-non-ascii", lambda m: m.update(symbol="SPX\u00e9"))
    if kind in ("prediction", "ensemble"):
        variant("negative-probability", lambda m: m["probs"].__setitem__(0, -0.125))
        variant("probs-empty", lambda m: m.update(probs=[]))
        variant("probs-17", lambda m: m.update(probs=[1 / 17] * 17))
        variant("probs-string", lambda m: m["probs"].__setitem__(0, "0.1"))
    if kind == "prediction":
        variant("missing-model", lambda m: m.pop("model"))
        variant("model-with-quote", lambda m: m.update(model='lg"bm'))
        variant("model-with-backslash", lambda m: m.update(model="lg\\bm"))
    if kind == "label":
        variant("class-negative", lambda m: m.update({"class": -1}))
        variant("class-16", lambda m: m.update({"class": 16}))
        variant("fwd-return-string", lambda m: m.update(fwd_return="0.1"))
        variant("missing-exit-ts", lambda m: m.pop("exit_ts"))
    if kind == "ensemble":
        variant("method-unknown", lambda m: m.update(method="median"))
        variant("completion-unknown", lambda m: m.update(completion="late"))
        variant("models-duplicate", lambda m: m.update(models=["lgbm", "lgbm"]))
        variant("latency-negative", lambda m: m.update(latency_ns=-1))
        variant("model-version-over-u32", lambda m: m.update(model_version=2 ** 32))
    return out


@pytest.mark.parametrize(
    "kind,message", [p for k in KINDS for p in invalid_variants(k)])
def test_invalid_variant_is_rejected(kind, message):
    assert not validator(kind).is_valid(message)


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_fields_are_allowed(kind):
    m = load_json("%s.json" % kind)
    m["added_in_a_later_revision"] = {"x": [1, 2]}
    validator(kind).validate(m)


def test_valid_name_edges():
    v = validator("prediction")
    m = load_json("prediction.json")
    for name in ["a", "S" * 64, "BRK-B", "ES_F:2026/03", "!#$%&'()*+,-/0:;<=>?@[]^_`{|}~"]:
        m["symbol"] = name
        assert v.is_valid(m), name


# --- Binary examples: independent decoding with the documented struct formats ---------------
def test_binary_prediction_decodes_to_the_json_example():
    data, j = load_hex("prediction.bin.hex"), load_json("prediction.json")
    size = struct.calcsize(PREDICTION_HEADER)
    assert size == 32
    magic, version, kind, k, model_len, symbol_len, flags, horizon, reserved, ts, seq = \
        struct.unpack_from(PREDICTION_HEADER, data, 0)
    assert (magic, version, kind, flags, reserved) == (b"SK", 1, 1, 0, 0)
    assert len(data) == size + 8 * k + model_len + symbol_len
    probs = list(struct.unpack_from("<%dd" % k, data, size))
    model = data[size + 8 * k: size + 8 * k + model_len].decode("ascii")
    symbol = data[size + 8 * k + model_len:].decode("ascii")
    assert {"model": model, "symbol": symbol, "horizon": horizon, "ts": ts, "seq": seq, "probs": probs} == \
        {key: j[key] for key in ("model", "symbol", "horizon", "ts", "seq", "probs")}
    assert j["v"] == version and j["type"] == "prediction"


def test_binary_label_decodes_to_the_json_example():
    data, j = load_hex("label.bin.hex"), load_json("label.json")
    size = struct.calcsize(LABEL_FIXED)
    assert size == 48
    (magic, version, kind, class_index, class_count, symbol_len, flags, horizon, reserved, ts, seq,
     fwd_return, exit_ts) = struct.unpack_from(LABEL_FIXED, data, 0)
    assert (magic, version, kind, flags, reserved) == (b"SK", 1, 2, 0, 0)
    assert len(data) == size + symbol_len
    assert class_count == 3 and class_index < class_count
    symbol = data[size:].decode("ascii")
    assert {"symbol": symbol, "horizon": horizon, "ts": ts, "seq": seq, "class": class_index,
            "fwd_return": fwd_return, "exit_ts": exit_ts} == \
        {key: j[key] for key in ("symbol", "horizon", "ts", "seq", "class", "fwd_return", "exit_ts")}


def test_binary_ensemble_decodes_to_the_json_example():
    data, j = load_hex("ensemble.bin.hex"), load_json("ensemble.json")
    size = struct.calcsize(ENSEMBLE_HEADER)
    assert size == 56
    (magic, version, kind, k, predicted, symbol_len, method, horizon, model_version, ts, seq, mask,
     latency, model_count, present_count, completion, flags, reserved32) = \
        struct.unpack_from(ENSEMBLE_HEADER, data, 0)
    assert (magic, version, kind, flags & ~1, reserved32) == (b"SK", 1, 3, 0, 0)
    assert len(data) == size + 8 * k + symbol_len
    probs = list(struct.unpack_from("<%dd" % k, data, size))
    symbol = data[size + 8 * k:].decode("ascii")
    # Bit i of present_mask is the i-th configured model in alphabetical order; JSON names them.
    configured = sorted(j["models"] + j["missing"])
    assert model_count == len(configured) and present_count == len(j["models"]) == bin(mask).count("1")
    present = [name for i, name in enumerate(configured) if mask >> i & 1]
    missing = [name for i, name in enumerate(configured) if not mask >> i & 1]
    assert {"symbol": symbol, "horizon": horizon, "ts": ts, "seq": seq, "probs": probs, "class": predicted,
            "method": METHODS[method], "model_version": model_version, "models": present, "missing": missing,
            "completion": COMPLETIONS[completion], "latency_ns": latency, "regime_imputed": bool(flags & 1)} == \
        {key: j[key] for key in j if key not in ("v", "type")}
    assert predicted == max(range(k), key=lambda c: (probs[c], -c))
    assert math.isclose(sum(probs), 1.0)


# --- The committed files are what the committed generator writes, and wire.md agrees ---------
def test_examples_are_up_to_date_with_make_examples():
    result = subprocess.run([sys.executable, str(EXAMPLES / "make_examples.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_wire_md_states_the_same_struct_formats():
    text = (SCHEMAS / "wire.md").read_text()
    for fmt in (PREDICTION_HEADER, LABEL_FIXED, ENSEMBLE_HEADER):
        assert "'%s'" % fmt in text, fmt


def test_wire_md_lists_every_reject_reason_of_the_code():
    source = (ROOT / "Sources/StackdCore/Validation/RejectReason.swift").read_text()
    reasons = set()
    for name, raw in re.findall(r"case (\w+)(?: = \"(\w+)\")?", source):
        reasons.add(raw or name)
    assert len(reasons) == 17
    text = (SCHEMAS / "wire.md").read_text()
    for reason in reasons:
        assert "`%s`" % reason in text, reason


# --- The optional contributions (output.contributions; wire.md §4.3.1, §5.3) ----------------
def test_contributions_example_validates_and_sums_to_the_served_probability():
    j = load_json("ensemble-contributions.json")
    validator("ensemble").validate(j)
    c = j["contributions"]
    assert c["space"] == "probability" and c["class"] == j["class"]
    assert math.isclose(sum(c["models"].values()) + c["shared"] + c["bias"], j["probs"][j["class"]], abs_tol=1e-15)


@pytest.mark.parametrize("label,mutate", [
    ("space-unknown", lambda c: c.update(space="shap")),
    ("value-string", lambda c: c["models"].update(lgbm="0.1")),
    ("missing-bias", lambda c: c.pop("bias")),
    ("model-name-with-dot", lambda c: c["models"].update({"a.b": 0.0})),
    ("version-2", lambda c: c.update(v=2)),
])
def test_invalid_contributions_are_rejected(label, mutate):
    j = load_json("ensemble-contributions.json")
    mutate(j["contributions"])
    assert not validator("ensemble").is_valid(j)


def test_binary_contributions_block_decodes_to_the_json_example():
    data, j = load_hex("ensemble-contributions.bin.hex"), load_json("ensemble-contributions.json")
    (_, _, _, k, predicted, symbol_len, *_rest) = struct.unpack_from(ENSEMBLE_HEADER, data, 0)
    flags = data[51]
    assert flags & 2, "flags bit 1 announces the block"
    at = 56 + 8 * k + symbol_len
    assert data[56 + 8 * k:at].decode("ascii") == j["symbol"]
    version, scale, count, cls = struct.unpack_from(CONTRIBUTIONS_BLOCK, data, at)
    assert len(data) == at + 4 + 8 * count, "binary messages are exact length"
    values = list(struct.unpack_from("<%dd" % count, data, at + 4))
    configured = sorted(j["models"] + j["missing"])
    assert count == len(configured) + 2
    c = j["contributions"]
    assert {"v": version, "space": SCALES[scale], "class": cls,
            "models": dict(zip(configured, values[:-2])), "shared": values[-2], "bias": values[-1]} == c
    assert cls == predicted


def test_wire_md_states_the_contributions_block_format():
    assert "'%s'" % CONTRIBUTIONS_BLOCK in (SCHEMAS / "wire.md").read_text()
