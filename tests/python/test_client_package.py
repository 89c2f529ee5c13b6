"""The Python client package (clients/python) against the committed wire examples: its binary
encodings are byte-identical to schemas/examples/*.bin.hex, its decodings equal the JSON
examples, its JSON encodings validate against the JSON Schemas, and bad input raises WireError.
Also: it is a typed, installable package (pyproject, py.typed), type-checked when mypy is present.

Run with: .venv/bin/python -m pytest tests/python/test_client_package.py -q
"""
import importlib.util
import json
import pathlib
import subprocess
import sys

import pytest
from jsonschema import Draft202012Validator

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "python"
EXAMPLES = ROOT / "schemas" / "examples"
sys.path.insert(0, str(CLIENT))
import stackd_client as sc  # noqa: E402

MODELS = ["lgbm", "mlp", "xgb"]  # the ensemble example's configured models (mask 0b101: lgbm, xgb)


def example(name):
    return json.loads((EXAMPLES / name).read_text())


def hex_example(name):
    return bytes.fromhex((EXAMPLES / name).read_text())


def validate(kind, payload):
    schema = json.loads((ROOT / "schemas" / f"{kind}.schema.json").read_text())
    Draft202012Validator(schema).validate(json.loads(payload))


def test_binary_encodings_are_the_committed_bytes():
    p = example("prediction.json")
    topic, payload = sc.encode_prediction(p["model"], p["symbol"], p["horizon"], p["ts"], p["seq"], p["probs"])
    assert (topic, payload) == (b"pred.SPX.5.lgbm", hex_example("prediction.bin.hex"))
    lab = example("label.json")
    topic, payload = sc.encode_label(lab["symbol"], lab["horizon"], lab["ts"], lab["seq"], lab["class"],
                                     lab["fwd_return"], lab["exit_ts"], class_count=3)
    assert (topic, payload) == (b"label.SPX.5", hex_example("label.bin.hex"))
    topic, payload = sc.encode_ensemble(example("ensemble.json"), "binary", MODELS)
    assert (topic, payload) == (b"ens.SPX.5", hex_example("ensemble.bin.hex"))


def test_binary_decodings_equal_the_json_examples():
    assert sc.decode_prediction(hex_example("prediction.bin.hex")) == example("prediction.json")
    label = sc.decode_label(hex_example("label.bin.hex"))
    assert label.pop("class_count") == 3
    assert label == example("label.json")
    ens = sc.decode_ensemble(hex_example("ensemble.bin.hex"), MODELS)
    assert (ens.pop("present_mask"), ens.pop("model_count"), ens.pop("present_count")) == (0b101, 3, 2)
    assert ens == example("ensemble.json")


@pytest.mark.parametrize("name", ["prediction", "label", "ensemble", "alert"])
def test_json_encodings_validate_and_decode_back(name):
    e = example(f"{name}.json")
    if name == "prediction":
        topic, payload = sc.encode_prediction(e["model"], e["symbol"], e["horizon"], e["ts"], e["seq"], e["probs"], "json")
    elif name == "label":
        topic, payload = sc.encode_label(e["symbol"], e["horizon"], e["ts"], e["seq"], e["class"], e["fwd_return"],
                                         e["exit_ts"], encoding="json")
    elif name == "ensemble":
        topic, payload = sc.encode_ensemble(e, "json")
    else:
        topic, payload = sc.encode_alert(e)
    validate(name, payload)
    kind, decoded = sc.decode(topic, payload)
    assert kind == name
    assert decoded == e
    assert topic == {"prediction": b"pred.SPX.5.lgbm", "label": b"label.SPX.5", "ensemble": b"ens.SPX.5",
                     "alert": b"alert.psi_drift"}[name]


def test_decode_dispatches_by_topic_and_names_binary_models():
    kind, ens = sc.decode(b"ens.SPX.5", hex_example("ensemble.bin.hex"), MODELS)
    assert kind == "ensemble" and ens["models"] == ["lgbm", "xgb"] and ens["missing"] == ["mlp"]
    with pytest.raises(sc.WireError):
        sc.decode(b"regime.SPX", b"{}")


@pytest.mark.parametrize("payload, decoder", [
    (hex_example("prediction.bin.hex")[:-1], sc.decode_prediction),       # one byte short of its header's length
    (hex_example("label.bin.hex") + b"X", sc.decode_label),               # trailing byte
    (hex_example("ensemble.bin.hex")[:20], sc.decode_ensemble),          # shorter than the header
    (hex_example("label.bin.hex"), sc.decode_ensemble),                   # another kind
    (b'{"v":1,"type":"label"', sc.decode_label),                          # malformed JSON
    (b'{"v":2,"type":"alert"}', sc.decode_alert),                          # another version
])
def test_bad_payloads_raise_wire_error(payload, decoder):
    with pytest.raises(sc.WireError):
        decoder(payload)


def test_encodings_refuse_an_unknown_encoding_name():
    with pytest.raises(ValueError):
        sc.encode_prediction("a", "SPX", 5, 1, 1, [1.0], encoding="xml")


def test_package_metadata_declares_a_typed_package():
    tomllib = pytest.importorskip("tomllib")
    meta = tomllib.loads((CLIENT / "pyproject.toml").read_text())
    assert meta["project"]["name"] == "stackd-client"
    assert meta["project"]["version"] == sc.__version__
    assert any(d.startswith("pyzmq") for d in meta["project"]["dependencies"])
    assert meta["tool"]["setuptools"]["package-data"]["stackd_client"] == ["py.typed"]
    assert (CLIENT / "stackd_client" / "py.typed").exists()


def test_types_check_with_mypy():
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed in this environment")
    out = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--ignore-missing-imports", "stackd_client"],
                         cwd=CLIENT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr


def test_contributions_block_encodes_to_and_decodes_from_the_committed_bytes():
    e = example("ensemble-contributions.json")
    topic, payload = sc.encode_ensemble(e, "binary", MODELS)
    assert (topic, payload) == (b"ens.SPX.5", hex_example("ensemble-contributions.bin.hex"))
    ens = sc.decode_ensemble(hex_example("ensemble-contributions.bin.hex"), MODELS)
    for key in ("present_mask", "model_count", "present_count"):
        ens.pop(key)
    assert ens["contributions"].pop("model_values") == [0.5 / 3] * 3
    assert ens == e
    topic, payload = sc.encode_ensemble(e, "json")
    validate("ensemble", payload)
    assert sc.decode(topic, payload)[1] == e


@pytest.mark.parametrize("cut", [1, 4, 5])
def test_a_truncated_contributions_block_raises_wire_error(cut):
    with pytest.raises(sc.WireError):
        sc.decode_ensemble(hex_example("ensemble-contributions.bin.hex")[:-cut], MODELS)


def test_a_version_1_output_without_the_flag_keeps_its_exact_length():
    # A contributions block behind an output whose flags do not announce it is a trailing byte error.
    with pytest.raises(sc.WireError):
        sc.decode_ensemble(hex_example("ensemble.bin.hex") + hex_example("ensemble-contributions.bin.hex")[-44:], MODELS)
