"""Keeps schemas/wire.md and the daemon in agreement through schemas/examples/conformance.json.

Each conformance vector names the sentence of wire.md that decides its outcome; this test finds
every such sentence in wire.md and checks each vector is well formed (binary payloads decode with
the documented struct formats, outcomes are documented reject reasons).
Tests/StackdCoreTests/WireContractTests.swift feeds the same vectors to the daemon's pipeline.

Run with: .venv/bin/python -m pytest tests/python -q   (needs pytest)
"""
import json
import pathlib
import re
import struct

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
WIRE = (ROOT / "schemas" / "wire.md").read_text()
VECTORS = json.loads((ROOT / "schemas" / "examples" / "conformance.json").read_text())
CASES = VECTORS["cases"]


def normalized(text):
    return re.sub(r"\s+", " ", text)


def documented_reasons():
    section = WIRE.split("### 6.1 Reasons", 1)[1].split("### 6.2", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", section, re.M))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_the_deciding_sentence_is_in_wire_md(case):
    assert normalized(case["quote"]) in normalized(WIRE), f"wire.md does not say: {case['quote']}"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vector_is_well_formed(case):
    assert case["outcome"] == "accepted" or case["outcome"] in documented_reasons(), case["outcome"]
    assert ("payload_text" in case) != ("payload_hex" in case)
    if "payload_text" in case:
        assert case["payload_text"].startswith("{")
        return
    payload = bytes.fromhex(case["payload_hex"])
    magic, version, kind = struct.unpack_from("<2sBB", payload)
    assert (magic, version) == (b"SK", 1)
    if kind == 1:
        _, _, _, k, ml, sl, _, horizon, _, ts, seq = struct.unpack_from("<2sBBBBBBIIqQ", payload)
        assert len(payload) == 32 + 8 * k + ml + sl
        model = payload[32 + 8 * k:32 + 8 * k + ml].decode()
        symbol = payload[32 + 8 * k + ml:].decode()
        assert case["topic"].split(".")[1] == symbol and case["topic"].split(".")[3] == model
    else:
        assert kind == 2
        _, _, _, cls, k, sl, _, horizon, _, ts, seq, fwd, exit_ts = struct.unpack_from("<2sBBBBBBIIqQdq", payload)
        assert len(payload) == 48 + sl
        assert case["topic"].split(".")[1] == payload[48:].decode()


def test_every_reject_reason_of_the_swift_enum_is_documented():
    swift = (ROOT / "Sources" / "StackdCore" / "Validation" / "RejectReason.swift").read_text()
    raw = set(re.findall(r'= "([a-z_]+)"', swift)) | set(re.findall(r"^\s+case ([a-z]+)$", swift, re.M))
    assert raw == documented_reasons()
