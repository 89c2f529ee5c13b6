"""The configuration schema (schemas/config.schema.json) agrees with the loader and the shipped
configuration files: every file validates, every key the Swift loader accepts is in the schema
and nothing else is, and a file with a typo is refused like `stackd check-config` refuses it."""
import json
import pathlib
import re
import tomllib

import jsonschema
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schemas" / "config.schema.json").read_text())


def loader_keys():
    text = (ROOT / "Sources/StackdDaemon/Configuration/ConfigurationLoader.swift").read_text()
    block = text[text.index("static let schema"):]
    block = block[: block.index("    ]")]
    return {sec: set(re.findall(r'"([a-z_]+)"', keys)) for sec, keys in re.findall(r'"([a-z_]+)": \[([^\]]*)\]', block)}


def test_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_schema_lists_exactly_the_loader_keys():
    keys = loader_keys()
    assert set(SCHEMA["properties"]) == set(keys)
    for section, names in keys.items():
        assert set(SCHEMA["properties"][section]["properties"]) == names, section


@pytest.mark.parametrize("path", ["examples/stackd.toml", "systemd/stackd.toml"])
def test_shipped_configurations_validate(path):
    with open(ROOT / path, "rb") as f:
        jsonschema.validate(tomllib.load(f), SCHEMA)


def test_typo_and_bad_values_are_refused():
    with open(ROOT / "examples/stackd.toml", "rb") as f:
        doc = tomllib.load(f)
    doc["input"]["topcs"] = ["pred."]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA)
    del doc["input"]["topcs"]
    doc["output"]["encoding"] = "xml"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA)
