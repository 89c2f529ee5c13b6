"""Damaged durable state: model files (bytes flipped, truncated, a coefficient edited in valid
JSON, a non-finite value, a garbage CURRENT), the out-of-sample window (a byte flipped inside a
block, a torn tail, a garbage segment header, a garbage awaiting-rows file) and the input journal
(bytes flipped, truncated).

A start never crashes: the daemon comes up and serves, the damaged part is refused or skipped
with a log line and counted in the metrics, and what is intact is still used (the previous valid
model version; every window row outside the damaged block). A journal replay skips the damage.

One pristine state is made once (a window of labelled rows, two persisted model versions, a
recorded journal); each case damages a copy of it.
"""
import json
import pathlib
import random
import re
import shutil
import signal
import tempfile

import pytest

import harness
import metric_names as M
from harness import config_text, feed_labelled_rows, run_binary, send_row

MODELS = ["a", "b"]
ROWS = 1_500
EXTRA = """\
[state]
directory = "{state}"
flush = "every_row"
[retrain]
min_rows = 100
[learner]
kind = "logistic"
promotion = "always"
"""


@pytest.fixture(scope="module")
def pristine():
    """(directory holding state/ and journal/, rows in the window): two model versions, v000002 current."""
    base = pathlib.Path(tempfile.mkdtemp(prefix="stackd-relc-", dir="/tmp"))
    config = base / "stackd.toml"
    config.write_text(config_text(base, models=MODELS, extra=EXTRA.format(state=base / "state")
                                  + f'[record]\ndirectory = "{base}/journal"\n'))
    daemon = harness.Daemon(config)
    peers = None
    try:
        daemon.wait_ready()
        peers = harness.Peers(f"ipc://{base}/in.sock", f"ipc://{base}/out.sock")
        peers.wait_subscribed()
        daemon.wait_metrics(lambda m: m.value(M.OUTPUT_SUBSCRIPTIONS) >= 1, what="the consumer's subscription")
        ts = feed_labelled_rows(peers, MODELS, ROWS, random.Random(0x5EED_DA7A), 1_000)
        for version in (1, 2):
            mark = daemon.mark()
            daemon.send_signal(signal.SIGUSR1)
            assert daemon.wait_line(M.LOG_MODEL_PERSISTED, 60, start=mark), daemon.log[-3000:]
            # The retrain's result reaches the ingest thread before the next one is asked for.
            daemon.wait_metrics(lambda m: m.total(M.RETRAINS_FINISHED) >= version, what=f"retrain {version} installed")
        send_row(peers, MODELS, ts)
        assert peers.await_output(ts)
        assert daemon.stop(signal.SIGTERM) == M.EXIT_OK, daemon.log[-3000:]
    finally:
        daemon.kill()
        if peers:
            peers.close()
    assert (base / "state" / "models" / "h5" / "v000002" / "model.json").exists()
    yield base, ROWS
    shutil.rmtree(base, ignore_errors=True)


def _flip(path: pathlib.Path, offset: int, count: int = 4):
    b = bytearray(path.read_bytes())
    for i in range(offset, min(offset + count, len(b))):
        b[i] ^= 0x5A
    path.write_bytes(bytes(b))


def _truncate(path: pathlib.Path, fraction: float):
    b = path.read_bytes()
    path.write_bytes(b[: int(len(b) * fraction)])


def _flip_block_payload(segment: pathlib.Path):
    """Flips one byte inside the payload of the middle block (schemas/segment-log.md: 40-byte
    segment header, blocks of a 64-byte header then `stored length` bytes): the block header stays
    valid, so the reader knows how many rows it loses."""
    data = bytearray(segment.read_bytes())
    blocks, offset = [], 40
    while offset + 64 <= len(data):
        stored = int.from_bytes(data[offset + 12: offset + 16], "little")
        blocks.append((offset + 64, stored))
        offset += 64 + stored
    start, stored = blocks[len(blocks) // 2]
    data[start + stored // 2] ^= 0x5A
    segment.write_bytes(bytes(data))


def _edit_coefficient(path: pathlib.Path, value=None):
    doc = json.loads(path.read_text())
    coefficients = doc["coefficients"]
    if value is None:
        coefficients[0][0] = coefficients[0][0] + 0.5
        path.write_text(json.dumps(doc))
    else:
        coefficients[0][0] = 123456.0
        path.write_text(json.dumps(doc).replace("123456.0", value, 1))


def _model(state):
    return state / "models" / "h5" / "v000002" / "model.json"


def _segment(state):
    return sorted((state / "window" / "h5").glob("seg-*.sklog"))[0]


def _awaiting(state):
    found = [p for p in state.rglob("*awaiting*") if p.is_file()]
    return found[0] if found else state / "awaiting.bin"


# name: (damage(state dir), expectation): "model" cases must serve v1 (the previous valid
# version), "current" the newest valid, "window" fewer rows than the window held, "none" all of it.
CASES = {
    "intact": (lambda s: None, "none"),
    "model_bytes_flipped": (lambda s: _flip(_model(s), _model(s).stat().st_size // 2), "model"),
    "model_truncated": (lambda s: _truncate(_model(s), 0.5), "model"),
    "model_coefficient_edited": (lambda s: _edit_coefficient(_model(s)), "model"),
    "model_coefficient_overflow": (lambda s: _edit_coefficient(_model(s), "1e999"), "model"),
    "model_coefficient_huge": (lambda s: _edit_coefficient(_model(s), "-1e308"), "model"),
    "current_garbage": (lambda s: (s / "models" / "h5" / "CURRENT").write_bytes(b"\xff\x00v9\n"), "current"),
    "window_block_flipped": (lambda s: _flip_block_payload(_segment(s)), "window_block"),
    "window_torn_tail": (lambda s: _truncate(_segment(s), 0.7), "window_tail"),
    "window_header_garbage": (lambda s: _flip(_segment(s), 0, 40), "window_segment"),
    "awaiting_garbage": (lambda s: _awaiting(s).write_bytes(b"\x00garbage" * 7), "none"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_start_on_damaged_state(case, pristine, workdir, daemons, peers, figures):
    base, rows = pristine
    state = workdir / "state"
    shutil.copytree(base / "state", state)
    damage, expectation = CASES[case]
    damage(state)
    config = workdir / "stackd.toml"
    config.write_text(config_text(workdir, models=MODELS, extra=EXTRA.format(state=state)))
    daemon = daemons(config)
    restored_line = daemon.wait_line(M.LOG_RESTORED_WINDOW, 60)
    assert restored_line is not None, f"no start: exit={daemon.wait_exit(5)}\n{daemon.log[-3000:]}"
    restored = int(re.search(r"rows=h5=(\d+)", restored_line).group(1))
    daemon.wait_ready()
    p = peers(f"ipc://{workdir}/in.sock", f"ipc://{workdir}/out.sock")
    p.wait_subscribed()
    daemon.wait_metrics(lambda m: m.value(M.OUTPUT_SUBSCRIPTIONS) >= 1, what="the consumer's subscription")
    send_row(p, MODELS, 10**9)
    assert p.await_output(10**9), f"no output after a start on damaged state\n{daemon.log[-3000:]}"
    m = daemon.metrics()
    version = m.value(M.ACTIVE_MODEL_VERSION, horizon="5")
    figures.update(window_rows=rows, restored=restored, served_version=int(version),
                   model_files_refused=int(m.total(M.MODEL_FILES_REFUSED)),
                   window_blocks_skipped=int(m.total(M.WINDOW_BLOCKS_SKIPPED)),
                   window_rows_lost=int(m.total(M.WINDOW_ROWS_LOST)))
    log = daemon.log
    if expectation == "none":
        assert restored == rows and version == 2, log[-3000:]
    elif expectation in ("model", "current"):
        assert restored == rows
        assert version == (1 if expectation == "model" else 2), f"served version {version}\n{log[-3000:]}"
        assert any(w in log for w in M.MODEL_REFUSED_WORDS), log[-3000:]
        if expectation == "model":
            assert m.total(M.MODEL_FILES_REFUSED) >= 1, f"{M.MODEL_FILES_REFUSED} does not count the refusal"
    else:
        assert restored < rows, "a damaged window cannot restore every row"
        assert any(w in log for w in M.WINDOW_DAMAGE_WORDS), log[-3000:]
        if expectation == "window_block":
            # One block lost, its rows known from its intact header: exactly what is missing.
            assert m.total(M.WINDOW_BLOCKS_SKIPPED) == 1, f"{M.WINDOW_BLOCKS_SKIPPED} does not count the damage"
            assert m.total(M.WINDOW_ROWS_LOST) == rows - restored, f"{M.WINDOW_ROWS_LOST} != rows missing"
        elif expectation == "window_segment":
            assert m.total(M.WINDOW_BLOCKS_SKIPPED) + m.total(M.WINDOW_ROWS_LOST) >= 1, "the skipped segment is counted"
        # A torn tail (what kill -9 leaves) is truncated and logged; how many rows it held is unknown.
    rc = daemon.stop(signal.SIGTERM)
    assert rc == M.EXIT_OK, log[-3000:]


JOURNAL_CASES = {
    "journal_bytes_flipped": lambda seg: _flip(seg, seg.stat().st_size // 2, 8),
    "journal_truncated": lambda seg: _truncate(seg, 0.6),
}


@pytest.mark.parametrize("case", list(JOURNAL_CASES))
def test_replay_of_damaged_journal(case, pristine, workdir, figures):
    base, _ = pristine
    journal = workdir / "journal"
    shutil.copytree(base / "journal", journal)
    segments = sorted((journal / "segments").glob("seg-*.sklog"))
    assert segments
    JOURNAL_CASES[case](segments[len(segments) // 2])
    config = workdir / "stackd.toml"
    config.write_text(config_text(workdir, models=MODELS))
    rc, out, err = run_binary(["replay", str(journal), "--config", str(config)])
    figures.update(exit=rc)
    assert rc == 0, f"replay exit {rc}\n{out}\n{err[-3000:]}"
    if case == "journal_bytes_flipped":
        assert M.LOG_JOURNAL_DAMAGE in err, err[-3000:]
