"""Keeps the operator kit (ops/) true to the daemon.

* ops/prometheus/stackd-rules.yml passes `promtool check rules` and its unit tests
  (`promtool test rules ops/prometheus/stackd-rules.test.yml`);
* every PromQL query of the Grafana dashboard ops/grafana/stackd.json parses (`promtool check rules`
  on a rule file made of them, template variables substituted);
* every stackd metric named in the rules or the dashboard is one MetricsExposition.swift exports,
  and every metric family it exports is on the dashboard.

promtool comes from Debian's `prometheus` package (scripts/install-deps.sh --for-tests); without it
the promtool checks are skipped and the metric-name checks still run.

Run with: .venv/bin/python -m pytest -q tests/python/test_operator_kit.py   (needs pytest)
"""
import json
import pathlib
import re
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
RULES = ROOT / "ops" / "prometheus" / "stackd-rules.yml"
RULE_TESTS = ROOT / "ops" / "prometheus" / "stackd-rules.test.yml"
DASHBOARD = ROOT / "ops" / "grafana" / "stackd.json"
EXPOSITION = ROOT / "Sources" / "StackdDaemon" / "Operations" / "MetricsExposition.swift"

METRIC = re.compile(r"\bstackd_[a-z0-9_]+\b")


def exported_names():
    """Every sample name MetricsExposition.swift writes (families and the summary's _sum/_count)."""
    return set(re.findall(r'"(stackd_[a-z0-9_]+)"', EXPOSITION.read_text()))


def dashboard():
    return json.loads(DASHBOARD.read_text())


def dashboard_queries():
    d = dashboard()
    out = []
    for p in d["panels"]:
        for t in p.get("targets", []):
            out.append((p["title"], t["expr"]))
    return out


def promtool():
    path = shutil.which("promtool")
    if path is None:
        pytest.skip("promtool missing: scripts/install-deps.sh --for-tests installs Debian's prometheus package")
    return path


def test_rules_pass_promtool_check():
    r = subprocess.run([promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS" in r.stdout


def test_rules_unit_tests_pass():
    r = subprocess.run([promtool(), "test", "rules", RULE_TESTS.name], cwd=RULE_TESTS.parent,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_dashboard_query_is_valid_promql(tmp_path):
    tool = promtool()
    lines = ["groups:", "  - name: dashboard", "    rules:"]
    for i, (_, expr) in enumerate(dashboard_queries()):
        concrete = expr.replace("$instance", ".*").replace("$horizon", ".*")
        lines += [f"      - record: dashboard:query_{i}", "        expr: " + json.dumps(concrete)]
    rules = tmp_path / "dashboard-queries.yml"
    rules.write_text("\n".join(lines) + "\n")
    r = subprocess.run([tool, "check", "rules", str(rules)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def test_rules_name_only_exported_metrics():
    named = set(METRIC.findall(RULES.read_text())) | set(METRIC.findall(RULE_TESTS.read_text()))
    assert named, "no stackd metric found in the rules"
    assert named <= exported_names(), f"not exported by stackd: {sorted(named - exported_names())}"


def test_dashboard_names_only_exported_metrics_and_shows_every_family():
    named = {m for _, expr in dashboard_queries() for m in METRIC.findall(expr)}
    for v in dashboard()["templating"]["list"]:
        named |= set(METRIC.findall(json.dumps(v.get("query", ""))))
    exported = exported_names()
    assert named <= exported, f"not exported by stackd: {sorted(named - exported)}"
    families = {n for n in exported if not n.endswith(("_sum", "_count"))}
    assert families <= named, f"exported but on no panel: {sorted(families - named)}"


def test_dashboard_structure():
    d = dashboard()
    assert d["uid"] == "stackd" and d["title"] and isinstance(d["schemaVersion"], int)
    variables = {v["name"]: v for v in d["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in d["panels"]]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    for p in d["panels"]:
        g = p["gridPos"]
        assert 0 <= g["x"] and g["x"] + g["w"] <= 24 and g["h"] > 0, p["title"]
        if p["type"] == "row":
            continue
        assert p["type"] in {"timeseries", "stat"}, p["title"]
        assert p["datasource"]["uid"] == "${datasource}", p["title"]
        assert p["targets"], p["title"]
        assert len({t["refId"] for t in p["targets"]}) == len(p["targets"]), p["title"]
    # No two panels overlap on the grid.
    cells = set()
    for p in d["panels"]:
        g = p["gridPos"]
        for cx in range(g["x"], g["x"] + g["w"]):
            for cy in range(g["y"], g["y"] + g["h"]):
                assert (cx, cy) not in cells, f"{p['title']} overlaps another panel"
                cells.add((cx, cy))


def test_every_alert_has_severity_summary_and_description():
    # Structure the promtool check does not impose: what on-call needs on every alert.
    text = RULES.read_text()
    alerts = re.split(r"\n\s+- alert: ", text)[1:]
    assert len(alerts) >= 10
    for block in alerts:
        name = block.split("\n", 1)[0]
        assert re.search(r"\n\s+expr: ", block), name
        assert re.search(r"\n\s+severity: (critical|warning|info)\n", block), name
        assert re.search(r"\n\s+summary: ", block) and re.search(r"\n\s+description: ", block), name
