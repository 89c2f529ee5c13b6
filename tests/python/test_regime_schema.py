"""The regime message of schemas/wire.md (sections 4.4 and 5.5): its JSON Schema is sound, the
example validates and bad variants do not, the binary example decodes with the documented struct
format to the JSON example, and the Python client encodes exactly the examples.

Run with: .venv/bin/python -m pytest -q tests/python/test_regime_schema.py
"""
import copy
import json
import pathlib
import struct
import sys

import pytest
from jsonschema import Draft202012Validator

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
EXAMPLES = SCHEMAS / "examples"
sys.path.insert(0, str(ROOT / "clients" / "python"))
import stackd_client  # noqa: E402

REGIME_HEADER = "<2sBBBBBBIIqQ"   # as written in wire.md §4.4


def schema():
    s = json.loads((SCHEMAS / "regime.schema.json").read_text())
    Draft202012Validator.check_schema(s)
    return s


def example():
    return json.loads((EXAMPLES / "regime.json").read_text())


def test_schema_is_draft_2020_12_with_id_version_and_type():
    s = schema()
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert s["$id"] == "urn:stackd:wire:v1:regime"
    assert s["properties"]["v"]["const"] == 1
    assert s["properties"]["type"]["const"] == "regime"
    assert set(s["required"]) == set(s["properties"])
    for name, field in s["properties"].items():
        assert field.get("description"), name


def test_example_validates():
    Draft202012Validator(schema()).validate(example())


def variants():
    out = []

    def variant(label, mutate):
        m = example()
        mutate(m)
        out.append(pytest.param(m, id=label))

    variant("v2", lambda m: m.update(v=2))
    variant("type-label", lambda m: m.update(type="label"))
    variant("no-values", lambda m: m.pop("values"))
    variant("no-ts", lambda m: m.pop("ts"))
    variant("no-seq", lambda m: m.pop("seq"))
    variant("empty-values", lambda m: m.update(values=[]))
    variant("17-values", lambda m: m.update(values=[0] * 17))
    variant("fraction", lambda m: m.update(values=[0.5, 1]))
    variant("above-i8", lambda m: m.update(values=[128, 1]))
    variant("below-i8", lambda m: m.update(values=[-129, 1]))
    variant("string-value", lambda m: m.update(values=["low", 1]))
    variant("dotted-symbol", lambda m: m.update(symbol="SP.X"))
    variant("negative-seq", lambda m: m.update(seq=-1))
    return out


@pytest.mark.parametrize("message", variants())
def test_invalid_variant_is_rejected(message):
    assert not Draft202012Validator(schema()).is_valid(message)


def test_unknown_fields_and_a_horizon_are_allowed():
    m = example()
    m["horizon"] = 5
    m["source"] = {"bars": "1d"}
    Draft202012Validator(schema()).validate(m)


def test_binary_example_decodes_to_the_json_example():
    data, j = bytes.fromhex((EXAMPLES / "regime.bin.hex").read_text()), example()
    size = struct.calcsize(REGIME_HEADER)
    assert size == 32
    magic, version, kind, count, symbol_len, flags, reserved8, reserved_a, reserved_b, ts, seq = \
        struct.unpack_from(REGIME_HEADER, data, 0)
    assert (magic, version, kind, flags, reserved8, reserved_a, reserved_b) == (b"SK", 1, 5, 0, 0, 0, 0)
    assert len(data) == size + count + symbol_len
    values = list(struct.unpack_from("<%db" % count, data, size))
    symbol = data[size + count:].decode("ascii")
    assert {"symbol": symbol, "ts": ts, "seq": seq, "values": values} == \
        {key: j[key] for key in ("symbol", "ts", "seq", "values")}


def test_wire_md_documents_the_regime_message():
    text = (SCHEMAS / "wire.md").read_text()
    assert "### 4.4 Regime (kind 5)" in text
    assert "'%s'" % REGIME_HEADER in text
    assert "`regime.<symbol>`" in text
    assert "regime.schema.json" in text


def test_client_encodes_the_examples():
    j = example()
    topic, payload = stackd_client.encode_regime(j["symbol"], j["ts"], j["seq"], j["values"])
    assert topic == b"regime.SPX"
    assert payload == bytes.fromhex((EXAMPLES / "regime.bin.hex").read_text())
    topic, payload = stackd_client.encode_regime(j["symbol"], j["ts"], j["seq"], j["values"], encoding="json")
    assert json.loads(payload) == j
    with pytest.raises(ValueError):
        stackd_client.encode_regime("SPX", 1, 1, [200])
    with pytest.raises(ValueError):
        stackd_client.encode_regime("SPX", 1, 1, [])
