"""Configuration fuzz through the real binary: mutated copies of examples/stackd.toml and
systemd/stackd.toml (deterministic seeds) go through `stackd check-config`.

Never a crash: the exit status is 0 (accepted) or 78 (EX_CONFIG, refused). A refusal prints one
line per problem, each naming the file and either its line (`FILE:LINE:`) or a key/section.
The first refused files also go to `stackd run --config`, which must refuse them with exit 78 and
the same lines.
Failing inputs are kept under `.build/reliability/config-fuzz-failures/` to reproduce them.
"""
import concurrent.futures
import json
import random
import re
import shutil

import metric_names as M
from harness import ROOT, run_binary, run_check_config

FILES_PER_BASE = 120
# Refused files also given to `stackd run`, which must refuse them identically.
RUN_CHECKS = 10
SEED = 0x5EED_C0F1
BASES = [ROOT / "examples" / "stackd.toml", ROOT / "systemd" / "stackd.toml"]
VALUES = ['"text"', "1e308", "-1e308", "-1", "0", "nan", "inf", "-inf", "+inf", "99999999999999999999999",
          "9223372036854775807", "-9223372036854775808", "1e10", "9.3e9", "1e6", "1e999", "0.0000001", "true",
          "[]", "[1, \"a\"]", '["a", "a"]', "{}", '""', '"\\u0000"', "[", "1979-05-27T07:32:00Z", "0x7fffffff",
          "4294967296", "-0", '"' + "x" * 300 + '"']


def _schema_keys():
    schema = json.loads((ROOT / "schemas" / "config.schema.json").read_text())
    return sorted((section, key) for section, body in schema.get("properties", {}).items()
                  for key in body.get("properties", {}))


SCHEMA_KEYS = _schema_keys()


def mutate(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    kind = rng.randrange(12)
    if kind == 0 and lines:                                  # delete a line
        del lines[rng.randrange(len(lines))]
    elif kind == 1 and lines:                                # duplicate a line (duplicate key or section)
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
    elif kind == 2:                                          # flip a byte
        b = bytearray(data)
        if b:
            b[rng.randrange(len(b))] ^= rng.randrange(1, 256)
        return bytes(b)
    elif kind in (3, 4, 5):                                  # swap a value for one of another type/extreme
        candidates = [i for i, l in enumerate(lines) if b"=" in l and not l.lstrip().startswith(b"#")]
        if candidates:
            i = rng.choice(candidates)
            key = lines[i].split(b"=", 1)[0]
            lines[i] = key + b"= " + rng.choice(VALUES).encode()
    elif kind == 6:                                          # invalid UTF-8 / control bytes inserted
        b = bytearray(data)
        pos = rng.randrange(len(b) + 1)
        b[pos:pos] = rng.choice([b"\xff\xfe", b"\xc3", b"\x00", b"\xed\xa0\x80", b"\x1b[0m", b"\r"])
        return bytes(b)
    elif kind == 7:                                          # truncate
        return data[: rng.randrange(len(data) + 1)]
    elif kind == 8:                                          # unknown key or section
        extra = rng.choice([b"[nosuchsection]\nx = 1", b"nosuchkey = 1", b"[models]\nnames = [\"z\"]", b"[[models]]",
                            b"a.b.c = 1", b"= 1", b"[stream]\nhorizons = [0, -5, 99999999999]"])
        lines.insert(rng.randrange(len(lines) + 1), extra)
    elif kind in (9, 10):                                    # any documented key set to an extreme value
        section, key = rng.choice(SCHEMA_KEYS)
        line = f"{key} = {rng.choice(VALUES)}".encode()
        header = f"[{section}]".encode()
        at = next((i for i, l in enumerate(lines) if l.strip() == header), None)
        if at is None:
            lines += [header, line]
        else:
            lines.insert(at + 1, line)
    else:                                                    # two or three mutations at once
        out = data
        for _ in range(rng.randrange(2, 4)):
            out = mutate(out, rng)
        return out
    return b"\n".join(lines)


def _names_file_and_place(line, path):
    if not line.startswith(path):
        return False
    rest = line[len(path):]
    if re.match(r"^:\d+:", rest):
        return True
    # `FILE: key: what` (a documented key or section, or the unknown one the line refuses).
    m = re.match(r"^: \[?([A-Za-z0-9_.-]+)\]?: ", rest)
    return bool(m)


def test_config_fuzz_never_crashes_and_names_the_place(workdir, figures):
    kept = ROOT / ".build" / "reliability" / "config-fuzz-failures"
    shutil.rmtree(kept, ignore_errors=True)
    inputs = []
    for b, base in enumerate(BASES):
        data = base.read_bytes()
        for i in range(FILES_PER_BASE):
            rng = random.Random(SEED + 1000 * b + i)
            path = workdir / f"fuzz-{b}-{i:03d}.toml"
            path.write_bytes(mutate(data, rng))
            inputs.append(path)

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda p: (p, *run_check_config(p)), inputs))

    crashes, unnamed, accepted, refused = [], [], 0, 0
    for path, rc, out, err in results:
        if rc == M.EXIT_OK:
            accepted += 1
        elif rc == M.EXIT_CONFIG:
            refused += 1
            lines = [l for l in err.splitlines() if l.strip()]
            if not lines or not all(_names_file_and_place(l, str(path)) for l in lines):
                unnamed.append((path, err))
        else:
            crashes.append((path, rc, err))

    # `stackd run` refuses the same files the same way before it opens anything (exit 78).
    run_refused = 0
    for path, rc, out, err in [r for r in results if r[1] == M.EXIT_CONFIG][:RUN_CHECKS]:
        run_rc, _, run_err = run_binary(["run", "--config", str(path)], timeout=30)
        if run_rc == M.EXIT_CONFIG and all(l in run_err for l in err.splitlines() if l.strip()):
            run_refused += 1
        else:
            crashes.append((path, run_rc, f"stackd run: {run_err[-300:]}"))

    figures.update(files=len(inputs), accepted=accepted, refused=refused, crashes=len(crashes),
                   refusals_without_place=len(unnamed), run_refused=run_refused)
    if crashes or unnamed:
        kept.mkdir(parents=True, exist_ok=True)
        for item in crashes + unnamed:
            shutil.copy(item[0], kept / item[0].name)
    assert not crashes, "exit status outside {0, 78} (kept in %s):\n" % kept + "\n".join(
        f"{p.name}: rc={rc}: {err[-300:]}" for p, rc, err in crashes[:10])
    assert not unnamed, "refusal lines naming neither FILE:LINE nor a key (kept in %s):\n" % kept + "\n".join(
        f"{p.name}: {err[-300:]}" for p, err in unnamed[:10])
    assert refused > 0 and len(inputs) >= 200
