"""The configuration schema (schemas/config.schema.json) agrees with the loader, the README and the
shipped configuration files: every file validates, every key of the loader's key table is in the
schema and nothing else is, the README table lists the same keys with the same defaults, and a file
with a typo or a value out of range is refused like `stackd check-config` refuses it."""
import json
import pathlib
import re
import tomllib

import jsonschema
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schemas" / "config.schema.json").read_text())


def loader_keys():
    """Section -> keys, read from the row builders of ConfigurationKeys.swift."""
    text = (ROOT / "Sources/StackdDaemon/Configuration/ConfigurationKeys.swift").read_text()
    body = text[re.search(r"\bstatic var all\b", text).start(): text.index("// MARK: - Row builders")]
    keys = {}
    for section, name in re.findall(r'\b(?:int|number|duration|bool|string|optionalString|choice|strings|ints)\(\s*"([a-z_]+)", "([a-z_]+)"', body):
        keys.setdefault(section, set()).add(name)
    return keys


def readme_rows():
    """key -> default cell of the README configuration table."""
    text = (ROOT / "README.md").read_text()
    table = text[text.index("<!-- configuration-table:begin -->"): text.index("<!-- configuration-table:end -->")]
    rows = {}
    for line in table.splitlines()[3:]:
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        rows[cells[0].strip("`")] = cells[2]
    return rows


def test_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_schema_lists_exactly_the_loader_keys():
    keys = loader_keys()
    assert sum(len(v) for v in keys.values()) == 62
    assert set(SCHEMA["properties"]) == set(keys)
    for section, names in keys.items():
        assert set(SCHEMA["properties"][section]["properties"]) == names, section


def test_readme_table_lists_the_schema_keys_and_defaults():
    rows = readme_rows()
    schema_keys = {f"{s}.{k}": spec for s, sec in SCHEMA["properties"].items() for k, spec in sec["properties"].items()}
    assert set(rows) == set(schema_keys)
    for key, spec in schema_keys.items():
        if "default" in spec:
            assert json.loads(rows[key].strip("`")) == spec["default"], key
        else:
            assert rows[key] in ("required", "none"), key


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
    doc["output"]["encoding"] = "json"
    doc["retrain"]["every_event_seconds"] = 1e10   # past the 100-year maximum
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA)
    del doc["retrain"]["every_event_seconds"]
    doc["input"]["bind"] = []                      # needs at least one endpoint
    doc["input"]["connect"] = []
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA)
