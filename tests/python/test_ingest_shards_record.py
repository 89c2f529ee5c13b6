"""Recording the input of a daemon with several pipelines (`ingest.shards = 2` with `[record]`),
with real processes: one `stackd run` fed by a pyzmq publisher, stopped with SIGTERM, then
`stackd replay` of its journal publishing its outputs.

Checked against independent truth:
- the journal holds every message once, in the order sent (one receive thread records): the
  replay reads exactly the messages sent plus the session's first record and the stop marker,
  reports no damaged block and no parity mismatch;
- the replay (one pipeline) emits the live outputs: per symbol the same sequence, and the same
  multiset, rows completed live and rows whose assembly deadline passed after the last message
  alike (seq and latency aside): the journal's stop marker carries the time the pipelines
  stopped at, so the replay fires those deadlines too instead of draining the rows;
- with `stream.symbols` listed and a connecting input, recording feeds the pipelines through the
  receive thread (the publisher sees one `pred.` and one `label.` subscription, not one per
  symbol), so the journal has one arrival order;
- `stackd_pipeline_window_rows{pipeline}` holds the labelled rows of each pipeline's symbols, by
  the documented symbol rule (`pipeline_of`, written in Python independently of the daemon).
A scheduled retrain with `[record]` and N > 1 is refused at start with the key's line, and a
SIGUSR1 retrain is refused with a log line.

Needs `swift build` first (.build/debug/stackd).
"""

import collections
import random
import re
import signal
import subprocess
import time

import pytest
import zmq

from daemon_support import BINARY, DEADLINE, Daemon, await_subscriptions, clean_env, comparable, counted_subscriber, \
    outputs_by_symbol, publisher, receive_outputs, require_binary, subscriber, wait_until
from stackd_client import decode_ensemble, encode_label, encode_prediction
from test_ingest_shards import pipeline_of

MODELS = ["a", "b", "c"]
HORIZON = 5
SYMBOLS = ["AAPL", "MSFT", "GOOG", "ABC", "AB", "NQ", "ES", "CL"] + [f"S{i:03d}" for i in range(12)]
EVENT_TIMES = 8

CONFIG = """
[models]
names = ["a", "b", "c"]
[stream]
horizons = [5]
symbols = [{symbols}]
[input]
connect = ["ipc://{dir}/publisher.sock"]
[ingest]
shards = 2
[output]
bind = ["ipc://{dir}/out.sock"]
[assembly]
deadline_ms = 5000
[metrics]
address = "127.0.0.1:0"
[record]
directory = "{dir}/journal"
"""


def write_config(tmp_path, extra=""):
    path = tmp_path / "two.toml"
    path.write_text(CONFIG.format(symbols=", ".join(f'"{s}"' for s in SYMBOLS), dir=tmp_path) + extra)
    return path


def test_two_pipelines_record_a_journal_whose_replay_emits_the_live_outputs(tmp_path, spawn):
    config = write_config(tmp_path)
    daemon = spawn(Daemon, config, "two")
    ctx = zmq.Context()
    try:
        sub = counted_subscriber(ctx, daemon, f"ipc://{tmp_path}/out.sock")
        pub = publisher(ctx, bind=[f"ipc://{tmp_path}/publisher.sock"])
        # One SUB socket (the receive thread's), subscribed to whole kinds: not one per pipeline.
        await_subscriptions(pub, collections.Counter({b"pred.": 1, b"label.": 1}))

        rng = random.Random(41)
        sent = 0
        labelled = collections.Counter()  # pipeline -> labels of its symbols that match a row
        seq = {m: 0 for m in MODELS}
        label_seq = 0
        for t in range(1, EVENT_TIMES + 1):
            ts = 1_700_000_000_000_000_000 + t * 60_000_000_000
            for symbol in SYMBOLS:
                for model in MODELS:
                    raw = [rng.random() + 0.01 for _ in range(3)]
                    seq[model] += 1
                    pub.send_multipart(encode_prediction(model, symbol, HORIZON, ts, seq[model], [x / sum(raw) for x in raw]))
                    sent += 1
                label_seq += 1
                pub.send_multipart(encode_label(symbol, HORIZON, ts, label_seq, rng.randrange(3), rng.uniform(-0.01, 0.01)))
                sent += 1
                labelled[pipeline_of(symbol, 2)] += 1
            if t == EVENT_TIMES // 2:
                # Recorded as received and rejected alike live and in replay: one frame only, three
                # frames, an unknown model.
                pub.send(b"pred.MSFT.5.a")
                pub.send_multipart([b"pred.NQ.5.b", b"x", b"y"])
                pub.send_multipart(encode_prediction("zz", "GOOG", HORIZON, ts, 1, [0.2, 0.3, 0.5]))
                sent += 3
        # The last messages: rows left incomplete (two of three models), emitted live when their
        # 5-s deadline passes, before the stop; in replay only the stop marker's time fires it.
        ts = 1_700_000_000_000_000_000 + (EVENT_TIMES + 1) * 60_000_000_000
        for i, symbol in enumerate(SYMBOLS[:6]):
            for model in MODELS[:2]:
                seq[model] += 1
                pub.send_multipart(encode_prediction(model, symbol, HORIZON, ts, seq[model], [0.2, 0.3, 0.5]))
                sent += 1

        complete = len(SYMBOLS) * EVENT_TIMES
        received = receive_outputs({"two": sub}, lambda r: len(r["two"]) >= complete + 6, MODELS)["two"]
        assert len(received) == complete + 6
        late = [o for o in received if o["completion"] != "complete"]
        assert sorted(o["symbol"] for o in late) == sorted(SYMBOLS[:6]), late
        assert all(o["completion"] == "deadline" and o["models"] == ["a", "b"] for o in late), late
        wait_until("every message received", lambda: daemon.metric("stackd_messages_received_total") == sent)
        wait_until("no row under assembly", lambda: daemon.metric("stackd_pending_rows") == 0)
        # The session's first record (the state it started from) and every message, written.
        wait_until(f"every message journalled ({sent} + 1)", lambda: daemon.metric("stackd_journal_messages_total") == sent + 1)
        assert daemon.metric("stackd_journal_recording") == 1
        assert daemon.metric("stackd_ring_drops_total") == 0
        for k in (0, 1):
            assert labelled[k] > 0, "both pipelines own symbols"
            wait_until(f"pipeline {k}'s window rows", lambda k=k:
                       daemon.metric_sample("stackd_pipeline_window_rows", pipeline=k, horizon=HORIZON) == labelled[k])
        assert daemon.metric("stackd_rejected_messages_total", reason="framing") == 2
        assert daemon.metric("stackd_rejected_messages_total", reason="unknown_model") == 1

        # A retrain on demand is refused while recording with two pipelines (the journal could not
        # carry it), with a line saying so; nothing is retrained.
        daemon.signal(signal.SIGUSR1)
        daemon.wait_for_line(r"retrain requested, but not made")
        assert daemon.metric("stackd_retrains_triggered_total") == 0

        assert daemon.stop() == 0, "stops cleanly"
        daemon.wait_for_line(r"stackd stopped")

        replay_outputs, stdout = replay(ctx, tmp_path, config, len(received))
        assert "damaged:" not in stdout, stdout
        assert "control records: 1 applied, 0 parity mismatches" in stdout, stdout
        # Every message sent, the session's first record and the stop marker, in one journal.
        events = re.search(r"^(\d+) events: ", stdout, re.M)
        assert events and int(events.group(1)) == sent + 2, stdout
        assert re.search(rf"^digest \S+ over {len(received)} outputs$", stdout, re.M), stdout
        assert re.search(r"; 3 rejected, 0 retrains$", stdout, re.M), stdout

        assert outputs_by_symbol(replay_outputs) == outputs_by_symbol(received), "per symbol, in order"

        def multiset(outputs):
            return collections.Counter(repr(sorted(comparable(o).items())) for o in outputs)

        assert multiset(replay_outputs) == multiset(received)
    finally:
        ctx.destroy(linger=0)


def replay(ctx, tmp_path, config, expected):
    """`stackd replay` of the journal, publishing its outputs to a subscriber: (outputs, stdout)."""
    endpoint = f"ipc://{tmp_path}/replay.sock"
    proc = subprocess.Popen([str(BINARY), "replay", str(tmp_path / "journal"), "--config", str(config),
                             "--publish", endpoint, "--wait-for-subscribers", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env())
    try:
        sub = subscriber(ctx, endpoint, prefix=b"ens.", receive_hwm=0)
        outputs = []
        poller = zmq.Poller()
        poller.register(sub, zmq.POLLIN)
        end = time.monotonic() + DEADLINE
        while len(outputs) < expected and time.monotonic() < end:
            if poller.poll(100):
                outputs.append(decode_ensemble(sub.recv_multipart()[1], MODELS))
        stdout, stderr = proc.communicate(timeout=DEADLINE)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stdout + stderr
    assert len(outputs) == expected, f"{len(outputs)} replayed outputs of {expected}\n{stdout}"
    return outputs, stdout


def test_recording_with_two_pipelines_refuses_a_retrain_schedule_with_the_line(tmp_path):
    require_binary()
    path = write_config(tmp_path, "[retrain]\nevery_event_times = 10\n")
    out = subprocess.run([str(BINARY), "run", "--config", str(path)], capture_output=True, text=True, timeout=60,
                         env=clean_env())
    assert out.returncode == 78, out.stderr
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("shards"))
    assert (f"{path}:{line}: ingest.shards: more than one pipeline needs retrain.every_event_times = 0 "
            "with [record] directory set") in out.stderr, out.stderr
    assert not (tmp_path / "journal").exists(), "nothing is created on refusal"
