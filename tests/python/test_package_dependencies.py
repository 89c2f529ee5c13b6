"""Every target's declared dependencies in Package.swift are exactly the modules its sources import.

SwiftPM lets a target import a module it only reaches through another target's dependencies,
and keeps a declared dependency that nothing imports; both make the module graph in
Package.swift (and ARCHITECTURE.md) untrue without any build failing. This test reads the
manifest through `swift package dump-package` (SwiftPM's own parse, not a regex of the file) and
every `import` line of each target's Swift sources, and compares the two sets.
"""
import json
import pathlib
import re
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
IMPORT = re.compile(r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|package|internal|fileprivate|private)\s+)?"
                    r"import\s+(?:(?:struct|class|enum|protocol|typealias|func|var|let)\s+)?([A-Za-z_][A-Za-z0-9_]*)",
                    re.MULTILINE)


def manifest():
    if shutil.which("swift") is None:
        pytest.skip("swift is not installed: the manifest cannot be read")
    out = subprocess.run(["swift", "package", "dump-package"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def declared(target):
    names = set()
    for dep in target["dependencies"]:
        for kind in ("byName", "target", "product"):
            if kind in dep:
                names.add(dep[kind][0])
    return names


def target_directory(target):
    if target.get("path"):
        return ROOT / target["path"]
    return ROOT / ("Tests" if target["type"] == "test" else "Sources") / target["name"]


def imported(directory):
    names = set()
    for source in directory.rglob("*.swift"):
        names.update(IMPORT.findall(source.read_text(encoding="utf-8")))
    # C targets: the modules their headers include are not Swift imports.
    return names


def test_declared_dependencies_equal_imports():
    package = manifest()
    targets = {t["name"]: t for t in package["targets"]}
    # The modules a target can declare: this package's targets and the products it names.
    products = {d for t in package["targets"] for d in declared(t)} - targets.keys()
    known = targets.keys() | products
    problems = []
    for name, target in sorted(targets.items()):
        if target["type"] == "system":
            continue
        directory = target_directory(target)
        swift_files = list(directory.rglob("*.swift"))
        if not swift_files:
            continue  # a C target: its dependencies are headers
        uses = (imported(directory) & known) - {name}
        declares = declared(target)
        for module in sorted(uses - declares):
            problems.append(f"{name} imports {module} but Package.swift does not declare it")
        for module in sorted(declares - uses):
            problems.append(f"{name} declares {module} but no source of it imports it")
    assert not problems, "\n".join(problems)


def test_every_module_is_in_the_manifest_header():
    """Package.swift's header comment names every module (one line each)."""
    package = manifest()
    header = (ROOT / "Package.swift").read_text(encoding="utf-8").split("let package")[0]
    missing = [t["name"] for t in package["targets"] if f"`{t['name']}`" not in header
               and t["type"] not in ("system", "test")]
    assert not missing, f"modules missing from Package.swift's header comment: {missing}"


def architecture_layers():
    """The numbered rows of the module picture in ARCHITECTURE.md: {module: row}."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("## Modules", 1)[1]
    picture = section.split("```", 2)[1]
    rows = {}
    for line in picture.splitlines():
        match = re.match(r"^\s*(\d+)\s+(.*)$", line)
        if not match:
            continue
        for name in re.findall(r"\b(Stackd\w+|C[A-Z]\w+|stackd)\b", match.group(2)):
            rows.setdefault(name, int(match.group(1)))
    return rows


def test_architecture_layers_match_the_manifest():
    """ARCHITECTURE.md draws the modules in rows; each imports only modules in lower rows."""
    package = manifest()
    targets = {t["name"]: t for t in package["targets"]}
    rows = architecture_layers()
    drawn = {name for name, t in targets.items() if t["type"] not in ("test",) and name != "StackdTestSupport"}
    missing = sorted(drawn - rows.keys())
    assert not missing, f"modules missing from ARCHITECTURE.md's layers: {missing}"
    problems = []
    for name in sorted(drawn):
        for dependency in sorted(declared(targets[name]) & targets.keys()):
            if rows[dependency] >= rows[name]:
                problems.append(f"{name} (row {rows[name]}) depends on {dependency} (row {rows[dependency]})")
    assert not problems, "\n".join(problems)
