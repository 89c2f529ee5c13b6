"""Keeps schemas/alert.schema.json true: the example validates, invalid variants do not.

Run with: .venv/bin/python -m pytest tests/python -q (scripts/test.sh runs it)   (needs jsonschema, pytest)
"""
import copy
import json
import pathlib

import pytest
from jsonschema import Draft202012Validator

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schemas" / "alert.schema.json").read_text())
EXAMPLE = json.loads((ROOT / "schemas" / "examples" / "alert.json").read_text())


def test_schema_is_draft_2020_12_and_every_field_described():
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["properties"]["v"]["const"] == 1
    for name, prop in SCHEMA["properties"].items():
        assert prop.get("description"), name


def test_example_validates():
    Draft202012Validator(SCHEMA).validate(EXAMPLE)


def test_ensemble_level_alert_without_model_and_class_validates():
    a = copy.deepcopy(EXAMPLE)
    del a["model"], a["class"]
    a["kind"] = "error_drift_adwin"
    Draft202012Validator(SCHEMA).validate(a)


@pytest.mark.parametrize("mutate", [
    lambda a: a.update(v=2),
    lambda a: a.update(kind="psi"),
    lambda a: a.update(horizon=0),
    lambda a: a.update(statistic="high"),
    lambda a: a.update(triggers_retrain=1),
    lambda a: a.pop("ts"),
    lambda a: a.update({"class": 16}),
])
def test_invalid_variants_fail(mutate):
    a = copy.deepcopy(EXAMPLE)
    mutate(a)
    assert not Draft202012Validator(SCHEMA).is_valid(a)
