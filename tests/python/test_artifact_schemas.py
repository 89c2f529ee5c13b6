"""Training artifacts (hN/*.json, ensemble_summary.json) validate against schemas/artifacts/.

Samples come from the Swift tests `testWriteSamplesForSchemaValidation` (logistic, XGBoost, blend,
calibrated (temperature and isotonic), averaging and MLP served, a learner restricted by learner.diverse_selection and one mixed with the best single model; needs a prior `swift build --build-tests`) and, when the binary and
../shared exist, from `stackd train` on the real stream for one horizon. Set
STACKD_ARTIFACT_SAMPLES to an existing sample directory to skip generating them.

Run with: .venv/bin/python -m pytest tests/python -q (scripts/test.sh runs it)
"""
import json
import os
import pathlib
import subprocess

import pytest
from jsonschema import Draft202012Validator

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas" / "artifacts"
SHARED = ROOT.parent / "shared" / "data" / "oos-daily"
NAMES = ["meta_config", "model_logistic", "model_blend", "model_mlp", "model_average", "model_prior_shrinkage", "feature_importance", "model_weights",
         "training_metrics", "ensemble_summary", "diversity_analysis"]
SAMPLE_KINDS = ("logistic", "xgboost", "blend", "calibrated", "average", "prior", "mlp", "diversity", "selected", "isotonic", "mixture")


def validator(name):
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_draft_2020_12_with_version_const(name):
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["schema_version"]["const"] == 1


@pytest.fixture(scope="session")
def samples(tmp_path_factory):
    given = os.environ.get("STACKD_ARTIFACT_SAMPLES")
    if given:
        return [pathlib.Path(given) / k for k in SAMPLE_KINDS]
    out = tmp_path_factory.mktemp("artifacts")
    env = dict(os.environ, STACKD_ARTIFACT_SAMPLES=str(out))
    r = subprocess.run(["swift", "test", "--skip-build", "--filter", "testWriteSamplesForSchemaValidation"],
                       cwd=ROOT, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    dirs = [out / k for k in SAMPLE_KINDS]
    binary = ROOT / ".build" / "debug" / "stackd"
    if binary.exists() and SHARED.exists():
        real = out / "real"
        r = subprocess.run([str(binary), "train", "--data", str(SHARED), "--out", str(real), "--horizons", "10"],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        dirs.append(real)
    return dirs


def model_schema(hdir):
    fmt = json.loads((hdir / "meta_config.json").read_text())["model_format"]
    return {"stackd-logistic": "model_logistic", "stackd-blend": "model_blend", "stackd-mlp": "model_mlp", "stackd-average": "model_average",
            "stackd-prior-shrinkage": "model_prior_shrinkage"}.get(fmt)


def test_every_artifact_validates(samples):
    seen = set()
    for d in samples:
        validator("ensemble_summary").validate(json.loads((d / "ensemble_summary.json").read_text()))
        for hdir in sorted(d.glob("h*")):
            for name in ["meta_config", "feature_importance", "model_weights", "training_metrics"]:
                validator(name).validate(json.loads((hdir / f"{name}.json").read_text()))
            if (hdir / "diversity_analysis.json").exists():
                validator("diversity_analysis").validate(json.loads((hdir / "diversity_analysis.json").read_text()))
                seen.add("diversity_analysis")
            ms = model_schema(hdir)
            model = json.loads((hdir / "model.json").read_text())
            if ms:
                validator(ms).validate(model)
                seen.add(ms)
            else:  # XGBoost's own JSON format
                assert "learner" in model and "version" in model
                seen.add("xgboost")
    assert {"model_logistic", "model_blend", "model_mlp", "model_average", "model_prior_shrinkage", "xgboost",
            "diversity_analysis"} <= seen


def test_applied_selection_sample_validates_and_is_consistent(samples):
    hdir = next(d for d in samples if d.name == "selected") / "h5"
    config = json.loads((hdir / "meta_config.json").read_text())
    doc = json.loads((hdir / "diversity_analysis.json").read_text())
    assert config["selected_models"] == ["a", "b"]
    assert doc["selection_applied"] is True
    assert doc["applied_selection"]["selected_models"] == config["selected_models"]
    v = validator("diversity_analysis")
    assert v.is_valid(doc)
    for mutate in (lambda c: c.pop("applied_selection"), lambda c: c.update(selection_applied=False),
                   lambda c: c["applied_selection"].update(rows=0), lambda c: c["applied_selection"].update(selected_models=[])):
        bad = json.loads(json.dumps(doc))
        mutate(bad)
        assert not v.is_valid(bad)
    mc = validator("meta_config")
    assert mc.is_valid(config)
    for value in ([], ["a", "a"], "a"):
        assert not mc.is_valid(dict(config, selected_models=value))


def test_invalid_diversity_variants_are_rejected(samples):
    doc = json.loads((next(d for d in samples if d.name == "diversity") / "h5" / "diversity_analysis.json").read_text())
    v = validator("diversity_analysis")
    assert v.is_valid(doc)
    for mutate in (lambda c: c.update(schema_version=2), lambda c: c.pop("analysis"),
                   lambda c: c.update(selection_applied="no"),
                   lambda c: c["analysis"]["score"].update(grade="excellent"),
                   lambda c: c["analysis"]["pairs"][0].update(disagreement=1.5),
                   lambda c: c["analysis"]["pairs"][0].pop("double_fault"),
                   lambda c: c.update(extra_field=1)):
        bad = json.loads(json.dumps(doc))
        mutate(bad)
        assert not v.is_valid(bad)


def test_invalid_variants_are_rejected(samples):
    hdir = samples[0] / "h5"
    config = json.loads((hdir / "meta_config.json").read_text())
    v = validator("meta_config")
    for mutate in (lambda c: c.update(schema_version=2), lambda c: c.pop("horizon"),
                   lambda c: c.update(feature_count=-1), lambda c: c.update(method="magic"),
                   lambda c: c.update(extra_field=1)):
        bad = json.loads(json.dumps(config))
        mutate(bad)
        assert not v.is_valid(bad)


def test_isotonic_calibration_sample_validates(samples):
    config = json.loads((next(d for d in samples if d.name == "isotonic") / "h5" / "meta_config.json").read_text())
    assert config["calibration"]["method"] == "isotonic"
    assert len(config["calibration"]["class_maps"]) == config["class_count"]
    v = validator("meta_config")
    assert v.is_valid(config)
    for mutate in (lambda c: c["calibration"].pop("class_maps"), lambda c: c["calibration"].update(method="platt"),
                   lambda c: c["calibration"]["class_maps"][0].update(x_thresholds=[1.5]),
                   lambda c: c["calibration"].update(temperature=2.0)):
        bad = json.loads(json.dumps(config))
        mutate(bad)
        assert not v.is_valid(bad)


def test_best_single_mixture_sample_validates(samples):
    config = json.loads((next(d for d in samples if d.name == "mixture") / "h5" / "meta_config.json").read_text())
    mix = config["best_single_mixture"]
    assert mix["model"] in config["models"] and 0 < mix["learner_weight"] < 1
    v = validator("meta_config")
    assert v.is_valid(config)
    for mutate in (lambda c: c["best_single_mixture"].pop("model"), lambda c: c["best_single_mixture"].update(learner_weight=1.5),
                   lambda c: c["best_single_mixture"].update(extra=1)):
        bad = json.loads(json.dumps(config))
        mutate(bad)
        assert not v.is_valid(bad)
