"""Fixtures of the reliability suite: short-pathed work directories (ipc paths are limited to
107 bytes), daemons and peers that are always cleaned up, and the figures every test records.

The figures (trials, losses, crashes per scenario) are written at the end of the session to
`$STACKD_RELIABILITY_OUT` (default `.build/reliability/`) as `summary.json` and `summary.md`;
bench/RELIABILITY.md quotes them.
"""
import json
import os
import pathlib
import platform
import shutil
import sys
import tempfile
import time

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import harness  # noqa: E402

_FIGURES = {}
_OUTCOMES = {}


def pytest_collection_modifyitems(config, items):
    if not harness.BINARY.exists():
        skip = pytest.mark.skip(reason=f"{harness.BINARY} is missing: run `swift build --build-tests` first")
        for item in items:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _OUTCOMES[item.name] = {"outcome": report.outcome, "seconds": round(report.duration, 2)}


def pytest_sessionfinish(session, exitstatus):
    if not _FIGURES and not _OUTCOMES:
        return
    out = pathlib.Path(os.environ.get("STACKD_RELIABILITY_OUT", harness.ROOT / ".build" / "reliability"))
    out.mkdir(parents=True, exist_ok=True)
    summary = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "binary": str(harness.BINARY),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "command": "bash scripts/test.sh (step: .venv/bin/python -m pytest -q tests/reliability)",
        "tests": {name: {**_OUTCOMES.get(name, {}), **_FIGURES.get(name, {})}
                  for name in sorted(set(_FIGURES) | set(_OUTCOMES))},
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    lines = [f"Generated {summary['generated_at']} on {summary['machine']} with `{summary['command']}`.", "",
             "| test | outcome | seconds | figures |", "|---|---|---:|---|"]
    for name, t in summary["tests"].items():
        figures = ", ".join(f"{k}={v}" for k, v in t.items() if k not in ("outcome", "seconds"))
        lines.append(f"| `{name}` | {t.get('outcome', '?')} | {t.get('seconds', '')} | {figures} |")
    (out / "summary.md").write_text("\n".join(lines) + "\n")


@pytest.fixture
def figures(request):
    """A dict whose content is reported under this test's name in the session summary."""
    record = _FIGURES.setdefault(request.node.name, {})
    return record


@pytest.fixture
def workdir():
    path = pathlib.Path(tempfile.mkdtemp(prefix="stackd-rel-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def daemons():
    """`start(config_path, **kw)` -> Daemon; every daemon started is SIGKILLed at teardown if still alive."""
    started = []

    def start(config_path, **kw):
        d = harness.Daemon(config_path, **kw)
        started.append(d)
        return d

    yield start
    for d in started:
        d.kill()


@pytest.fixture
def peers():
    """`connect(input, output=None, **kw)` -> Peers; closed at teardown."""
    made = []

    def connect(*args, **kw):
        p = harness.Peers(*args, **kw)
        made.append(p)
        return p

    yield connect
    for p in made:
        p.close()
