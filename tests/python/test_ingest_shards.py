"""Several pipelines in one daemon (`ingest.shards = N`), with real processes: four `stackd run`
daemons fed the same stream by one pyzmq publisher, retraining off:

- `one`:   N = 1 (today's single ingest thread), the reference;
- `two`:   N = 2, `stream.symbols` set and a connecting input: one SUB socket per pipeline,
           subscribed to its symbols' prefixes (the publisher demultiplexes);
- `three`: N = 3, no `stream.symbols`: one receive thread routes by the symbol's hash into rings;
- `bound`: N = 2, `stream.symbols` set but the input binds (the publisher connects): rings too.

Checked: every daemon emits the same multiset of outputs and, per symbol, the same sequence as
N = 1 (seq and latency aside), and the outputs are the averages of the sent vectors (independent
truth); the pipelines received exactly the messages of the symbols the documented rule gives
them (`fmix64(FNV-1a-64(symbol)) mod N`, written here independently); rejects (a single-frame
message, an unknown model) are counted once, by the same reason, whatever N; SIGTERM stops each
with exit 0. A configuration with N > 1 and retraining on is refused with the key's line.
A SIGHUP reaches every pipeline (a live key applied by each, a refused reload applied by none).
With retraining, a SIGUSR1 makes one merged retrain per horizon whose model every pipeline serves.

Needs `swift build` first (.build/debug/stackd).
"""

import collections
import random
import signal
import subprocess
import time

import pytest
import zmq

from daemon_support import BINARY, DEADLINE, Daemon, await_subscriptions, clean_env, comparable, counted_subscriber, \
    fnv1a64, outputs_by_symbol, publisher, receive_outputs, require_binary, wait_until
from stackd_client import decode_ensemble, encode_label, encode_prediction

MODELS = ["a", "b", "c"]
HORIZON = 5
SYMBOLS = ["AAPL", "MSFT", "GOOG", "ABC", "AB", "NQ", "ES", "CL", "GC", "ZN"] + [f"S{i:03d}" for i in range(20)]
EVENT_TIMES = 12


def pipeline_of(symbol, pipelines):
    """The documented rule (README, ShardRouter), written independently of the Swift code."""
    m = 0xFFFFFFFFFFFFFFFF
    h = fnv1a64(symbol)
    h ^= h >> 33
    h = (h * 0xff51afd7ed558ccd) & m
    h ^= h >> 33
    h = (h * 0xc4ceb9fe1a85ec53) & m
    h ^= h >> 33
    return h % pipelines


CONFIG = """
[models]
names = ["a", "b", "c"]
[stream]
horizons = [5]
{symbols}
[input]
{input}
[ingest]
shards = {shards}
[output]
bind = ["ipc://{dir}/out-{name}.sock"]
[assembly]
deadline_ms = 600000
[metrics]
address = "127.0.0.1:0"
"""

DAEMONS = {  # name: (shards, symbols listed, input binds)
    "one": (1, True, False),
    "two": (2, True, False),
    "three": (3, False, False),
    "bound": (2, True, True),
}


def write_config(tmp_path, name):
    shards, listed, binds = DAEMONS[name]
    symbols = "symbols = [" + ", ".join(f'"{s}"' for s in SYMBOLS) + "]" if listed else ""
    endpoint = f"ipc://{tmp_path}/in-{name}.sock" if binds else f"ipc://{tmp_path}/publisher.sock"
    text = CONFIG.format(symbols=symbols, input=f'{"bind" if binds else "connect"} = ["{endpoint}"]', shards=shards,
                         dir=tmp_path, name=name)
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


@pytest.fixture
def daemons(tmp_path, spawn):
    return tmp_path, {name: spawn(Daemon, write_config(tmp_path, name), name) for name in DAEMONS}


def test_pipelines_emit_what_one_pipeline_emits(daemons):
    tmp_path, started = daemons
    ctx = zmq.Context()
    try:
        consumers = {}
        for name, daemon in started.items():
            consumers[name] = counted_subscriber(ctx, daemon, f"ipc://{tmp_path}/out-{name}.sock")

        pub = publisher(ctx, bind=[f"ipc://{tmp_path}/publisher.sock"], connect=[f"ipc://{tmp_path}/in-bound.sock"])
        # Who subscribes to what: the whole kinds from `one`, `three` and `bound`; from `two`,
        # each pipeline's own symbols' prefixes (a trailing `.`, so "AB" does not select "ABC").
        expected = collections.Counter({b"pred.": 3, b"label.": 3})
        expected.update(f"{kind}.{s}.".encode() for s in SYMBOLS for kind in ("pred", "label"))
        await_subscriptions(pub, expected)

        rng = random.Random(29)
        sent = {}
        messages = collections.Counter()  # symbol -> messages sent on its topics
        seq = {m: 0 for m in MODELS}
        label_seq = 0
        for t in range(1, EVENT_TIMES + 1):
            ts = 1_700_000_000_000_000_000 + t * 60_000_000_000
            for symbol in SYMBOLS:
                vectors = []
                for model in MODELS:
                    raw = [rng.random() + 0.01 for _ in range(3)]
                    probs = [x / sum(raw) for x in raw]
                    vectors.append(probs)
                    seq[model] += 1
                    pub.send_multipart(encode_prediction(model, symbol, HORIZON, ts, seq[model], probs))
                    messages[symbol] += 1
                sent[(symbol, ts)] = vectors
                label_seq += 1
                pub.send_multipart(encode_label(symbol, HORIZON, ts, label_seq, rng.randrange(3), rng.uniform(-0.01, 0.01)))
                messages[symbol] += 1
            if t == EVENT_TIMES // 2:
                # Two bad messages, each rejected once by every daemon: one frame only, and a model
                # that is not configured.
                pub.send(b"pred.MSFT.5.a")
                messages["MSFT"] += 1
                pub.send_multipart(encode_prediction("zz", "GOOG", HORIZON, ts, 1, [0.2, 0.3, 0.5]))
                messages["GOOG"] += 1

        total = len(SYMBOLS) * EVENT_TIMES
        received = receive_outputs(consumers, lambda r: all(len(outs) >= total for outs in r.values()), MODELS)
        for name, outs in received.items():
            assert len(outs) == total, f"{name}: {len(outs)} outputs of {total}"

        def multiset(outputs):
            return collections.Counter(repr(sorted(comparable(o).items())) for o in outputs)

        reference = outputs_by_symbol(received["one"])
        for out in received["one"]:
            vectors = sent[(out["symbol"], out["ts"])]
            assert out["method"] == "average" and out["model_version"] == 0 and out["completion"] == "complete"
            assert out["probs"] == pytest.approx([sum(v[c] for v in vectors) / 3 for c in range(3)], abs=1e-12)
        for symbol, outs in reference.items():
            assert [o["ts"] for o in outs] == sorted(o["ts"] for o in outs), f"{symbol} in event-time order"
        for name in ("two", "three", "bound"):
            assert outputs_by_symbol(received[name]) == reference, f"{name}: per-symbol outputs differ from N = 1"
            assert multiset(received[name]) == multiset(received["one"]), name

        # Each pipeline received exactly its symbols' messages, by the documented rule.
        all_messages = sum(messages.values())
        for name, daemon in started.items():
            wait_until(f"{name}'s received count", lambda d=daemon: d.metric("stackd_messages_received_total") == all_messages)
            shards = DAEMONS[name][0]
            if shards > 1:
                # With rings, the receive thread rejects the single-frame message itself (`framing`)
                # and routes only `[topic][payload]` messages; a pipeline's own socket reads it.
                rings = name in ("three", "bound")
                for i in range(shards):
                    want = sum(n for s, n in messages.items() if pipeline_of(s, shards) == i)
                    want -= 1 if rings and pipeline_of("MSFT", shards) == i else 0
                    wait_until(f"{name} pipeline {i}'s count", lambda d=daemon, i=i, want=want:
                               d.metric("stackd_pipeline_messages_total", pipeline=i) == want)
            assert daemon.metric("stackd_rejected_messages_total", reason="framing") == 1, name
            assert daemon.metric("stackd_rejected_messages_total", reason="unknown_model") == 1, name
            assert daemon.metric("stackd_rejected_messages_total") == 2, name
            assert daemon.metric("stackd_published_total") == total, name
            assert daemon.metric("stackd_labels_matched_total") == total, name
            assert daemon.metric('stackd_send_failures_total') == 0, name
        assert started["three"].metric("stackd_ring_drops_total") == 0
    finally:
        ctx.destroy(linger=0)

    for name, daemon in started.items():
        assert daemon.stop() == 0, f"{name} stops cleanly"
        daemon.wait_for_line(r"stackd stopped")


def test_several_pipelines_with_retraining_are_refused_with_the_line(tmp_path):
    require_binary()
    path = tmp_path / "c.toml"
    path.write_text(CONFIG.format(symbols="", input=f'connect = ["ipc://{tmp_path}/p.sock"]', shards=2, dir=tmp_path,
                                  name="x") + "[retrain]\nevery_labels = 100\n[state]\ndirectory = \"" + str(tmp_path / "s") + "\"\n")
    out = subprocess.run([str(BINARY), "run", "--config", str(path)], capture_output=True, text=True, timeout=60,
                         env=clean_env())
    assert out.returncode == 78, out.stderr
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("shards"))
    assert (f"{path}:{line}: ingest.shards: more than one pipeline needs retrain.every_labels = 0 and "
            "retrain.every_event_seconds = 0") in out.stderr, out.stderr
    assert f"{path}:{line}: ingest.shards: more than one pipeline needs [state] directory unset" in out.stderr, out.stderr
    assert not (tmp_path / "s").exists(), "nothing is created on refusal"


def test_a_stop_drains_every_pipeline_through_the_forwarder(tmp_path, spawn):
    """Rows still under assembly at SIGTERM leave as `drained` outputs from every pipeline (both
    feeding modes), relayed by the forwarder before the daemon exits."""
    started = {name: spawn(Daemon, write_config(tmp_path, name), name) for name in ("two", "three")}
    ctx = zmq.Context()
    try:
        consumers = {}
        for name, daemon in started.items():
            consumers[name] = counted_subscriber(ctx, daemon, f"ipc://{tmp_path}/out-{name}.sock")
        pub = publisher(ctx, bind=[f"ipc://{tmp_path}/publisher.sock"])
        expected = collections.Counter({b"pred.": 1, b"label.": 1})
        expected.update(f"{kind}.{s}.".encode() for s in SYMBOLS for kind in ("pred", "label"))
        await_subscriptions(pub, expected)
        # Two of the three models for every symbol: no row completes before the 600 s deadline.
        ts = 1_700_000_000_000_000_000
        for i, symbol in enumerate(SYMBOLS):
            for model in MODELS[:2]:
                pub.send_multipart(encode_prediction(model, symbol, HORIZON, ts, i + 1, [0.2, 0.3, 0.5]))
        for name, daemon in started.items():
            wait_until(f"{name}'s pending rows", lambda d=daemon: d.metric("stackd_pending_rows") == len(SYMBOLS))
        for name, daemon in started.items():
            assert daemon.stop() == 0, f"{name} stops cleanly"
        for name, sub in consumers.items():
            outs = []
            end = time.monotonic() + DEADLINE
            while len(outs) < len(SYMBOLS) and time.monotonic() < end:
                if sub.poll(100):
                    outs.append(decode_ensemble(sub.recv_multipart()[1], MODELS))
            assert sorted(o["symbol"] for o in outs) == sorted(SYMBOLS), f"{name}: every pipeline's rows drained"
            for o in outs:
                assert o["completion"] == "drained" and o["models"] == ["a", "b"], o
                assert o["probs"] == pytest.approx([0.2, 0.3, 0.5], abs=1e-12)
    finally:
        ctx.destroy(linger=0)


def test_a_reload_reaches_every_pipeline_and_a_refused_one_keeps_them_whole(tmp_path, spawn):
    """SIGHUP with N = 2 (one SUB socket per pipeline): `log.rejects_per_second`, applied live,
    changes what each pipeline's reject log shows; a reload that changes `models.names` is
    refused and both pipelines keep the running configuration (the old rate, the old models)."""
    # One symbol on each pipeline, by the documented rule.
    first = next(s for s in SYMBOLS if pipeline_of(s, 2) == 0)
    second = next(s for s in SYMBOLS if pipeline_of(s, 2) == 1)
    path = write_config(tmp_path, "two")
    base = path.read_text()
    path.write_text(base + "[log]\nrejects_per_second = 0\n")
    daemon = spawn(Daemon, path, "two")
    ctx = zmq.Context()
    try:
        pub = publisher(ctx, bind=[f"ipc://{tmp_path}/publisher.sock"])
        await_subscriptions(pub, {f"{kind}.{s}.".encode() for s in SYMBOLS for kind in ("pred", "label")})
        sub = counted_subscriber(ctx, daemon, f"ipc://{tmp_path}/out-two.sock")
        lines_since, mark = daemon.lines_since, daemon.mark

        ts = [1_700_000_000_000_000_000]
        rejected = [0]

        def send_unknown_model():
            """One prediction from a model the daemon does not know, per pipeline."""
            ts[0] += 60_000_000_000
            for symbol in (first, second):
                pub.send_multipart(encode_prediction("zz", symbol, HORIZON, ts[0], 1, [0.2, 0.3, 0.5]))
            rejected[0] += 2
            wait_until(f"{rejected[0]} rejects counted",
                       lambda: daemon.metric("stackd_rejected_messages_total") == rejected[0])

        def reject_topics(lines):
            return {s for s in (first, second) for line in lines
                    if "rejected message" in line and f"topic=pred.{s}.5.zz" in line}

        def shows_both(m):
            """Rejects until both pipelines have logged one: a pipeline takes a new rate at its next
            100-ms tick, so the first rejects after the reload line may still use the old one."""
            end = time.monotonic() + DEADLINE
            while reject_topics(lines_since(m)) != {first, second}:
                if time.monotonic() > end:
                    pytest.fail(f"no reject line from each pipeline:\n{''.join(lines_since(m))}")
                send_unknown_model()
                time.sleep(0.05)

        def reload(text, *parts):
            """SIGHUP, then wait for a line holding every one of `parts` (the log puts metadata first)."""
            path.write_text(text)
            m = mark()
            daemon.signal(signal.SIGHUP)
            end = time.monotonic() + DEADLINE
            while time.monotonic() < end:
                if any(all(p in line for p in parts) for line in lines_since(m)):
                    return
                time.sleep(0.02)
            pytest.fail(f"no line with {parts} after SIGHUP:\n{''.join(lines_since(m))}")

        # Rate 0: the rejects are counted, no pipeline shows one.
        m = mark()
        send_unknown_model()
        assert reject_topics(lines_since(m)) == set(), "".join(lines_since(m))

        # Applied live: both pipelines now show their rejects (none did at rate 0).
        reload(base + "[log]\nrejects_per_second = 100\n", "configuration reloaded", "applied=log.rejects_per_second: 0 -> 100")
        m = mark()
        shows_both(m)

        # Refused: models.names changes, so nothing in the file applies (not even its rate of 0).
        refused = base.replace('names = ["a", "b", "c"]', 'names = ["a", "b", "zz"]') + "[log]\nrejects_per_second = 0\n"
        assert refused != base + "[log]\nrejects_per_second = 0\n"
        reload(refused, "reload refused: these keys cannot change", "models.names")
        m = mark()
        shows_both(m)
        # And both pipelines still assemble rows of the running models a, b, c.
        ts[0] += 60_000_000_000
        for symbol in (first, second):
            for i, model in enumerate(MODELS):
                pub.send_multipart(encode_prediction(model, symbol, HORIZON, ts[0], 100 + i, [0.2, 0.3, 0.5]))
        outs = []
        end = time.monotonic() + DEADLINE
        while len(outs) < 2 and time.monotonic() < end:
            if sub.poll(100):
                outs.append(decode_ensemble(sub.recv_multipart()[1], MODELS))
        assert sorted(o["symbol"] for o in outs) == sorted([first, second]), outs
        for o in outs:
            assert o["models"] == MODELS and o["probs"] == pytest.approx([0.2, 0.3, 0.5], abs=1e-12), o
        assert daemon.stop() == 0
    finally:
        ctx.destroy(linger=0)


RETRAIN_SYMBOLS = sorted(SYMBOLS)
RETRAIN_EVENT_TIMES = 12
RETRAIN_DAEMONS = {  # name: (shards, symbols listed)
    "one": (1, True),
    "two": (2, True),   # a SUB socket per pipeline
    "ring": (2, False),  # the receive thread and rings
}


def write_retrain_config(tmp_path, name):
    shards, listed = RETRAIN_DAEMONS[name]
    # Listed in name order: the merged window numbers unlisted symbols by name, and a single
    # pipeline numbers them as listed, so the trainer sees the rows in one order for every N.
    symbols = "symbols = [" + ", ".join(f'"{s}"' for s in RETRAIN_SYMBOLS) + "]" if listed else ""
    text = CONFIG.format(symbols=symbols, input=f'connect = ["ipc://{tmp_path}/publisher.sock"]', shards=shards,
                         dir=tmp_path, name=name)
    text += ("[retrain]\nevery_event_times = 4\nmin_rows = 10\nwindow_rows = 100\napply_delay_seconds = 120\n"
             "[learner]\nkind = \"logistic\"\npromotion = \"always\"\nc = 1\n")
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


def test_pipelines_with_retraining_serve_the_same_models_to_the_same_rows(tmp_path, spawn):
    """Retrains at event times 5 and 9 (every 4th distinct event time after the first), each on
    the labelled rows of the earlier event times (120, then the newest 100 of 240: the window
    bound), applying 120 s (two event times) later: rows at 1–6 are averaged, 7–10 served by
    version 1, 11–12 by version 2. The stream is tidy (each event time's predictions, then its
    labels in symbol order), so what one pipeline has labelled at a trigger is what N pipelines
    have together; the test waits until each retrain has finished before sending the rows it
    applies to, so no install is late and the outputs cannot depend on training speed."""
    started = {name: spawn(Daemon, write_retrain_config(tmp_path, name), name) for name in RETRAIN_DAEMONS}
    ctx = zmq.Context()
    try:
        consumers = {name: counted_subscriber(ctx, daemon, f"ipc://{tmp_path}/out-{name}.sock")
                     for name, daemon in started.items()}
        pub = publisher(ctx, bind=[f"ipc://{tmp_path}/publisher.sock"])
        expected = collections.Counter({b"pred.": 2, b"label.": 2})
        expected.update(f"{kind}.{s}.".encode() for s in RETRAIN_SYMBOLS for kind in ("pred", "label"))
        await_subscriptions(pub, expected)

        rng = random.Random(31)
        seq = {m: 0 for m in MODELS}
        label_seq = 0

        def ts_of(t):
            return 1_700_000_000_000_000_000 + t * 60_000_000_000

        def send_event_time(t):
            nonlocal label_seq
            labels = []
            for symbol in RETRAIN_SYMBOLS:
                vectors = []
                for model in MODELS:
                    raw = [rng.random() + 0.01 for _ in range(3)]
                    probs = [x / sum(raw) for x in raw]
                    vectors.append(probs)
                    seq[model] += 1
                    pub.send_multipart(encode_prediction(model, symbol, HORIZON, ts_of(t), seq[model], probs))
                # Model a is informative (its top class is right 70 % of the time): a model worth learning.
                top = max(range(3), key=lambda c: vectors[0][c])
                labels.append((symbol, top if rng.random() < 0.7 else rng.randrange(3)))
            for symbol, label in labels:
                label_seq += 1
                pub.send_multipart(encode_label(symbol, HORIZON, ts_of(t), label_seq, label, rng.uniform(-0.01, 0.01)))

        def wait_for_retrains(n):
            for name, daemon in started.items():
                wait_until(f"{name}'s retrain {n}", lambda d=daemon: d.metric("stackd_retrains_total") == n)

        for t in range(1, 6):
            send_event_time(t)
        wait_for_retrains(1)
        for t in range(6, 10):
            send_event_time(t)
        wait_for_retrains(2)
        for t in range(10, RETRAIN_EVENT_TIMES + 1):
            send_event_time(t)

        total = len(RETRAIN_SYMBOLS) * RETRAIN_EVENT_TIMES
        received = receive_outputs(consumers, lambda r: all(len(outs) >= total for outs in r.values()), MODELS)
        for name, outs in received.items():
            assert len(outs) == total, f"{name}: {len(outs)} outputs of {total}"

        def version_of(t):
            return 0 if t < 7 else 1 if t < 11 else 2

        reference = outputs_by_symbol(received["one"])
        for symbol, outs in reference.items():
            assert [o["ts"] for o in outs] == [ts_of(t) for t in range(1, RETRAIN_EVENT_TIMES + 1)], symbol
            assert [o["model_version"] for o in outs] == [version_of(t) for t in range(1, RETRAIN_EVENT_TIMES + 1)], symbol
            assert all(o["method"] != "average" for o in outs[6:]), symbol
        for name in ("two", "ring"):
            got = outputs_by_symbol(received[name])
            for symbol in RETRAIN_SYMBOLS:
                assert got[symbol] == reference[symbol], f"{name}: {symbol}'s outputs differ from N = 1"
        for name, daemon in started.items():
            assert daemon.metric("stackd_retrains_total") == 2, name
            assert daemon.metric("stackd_late_model_installs_total") == 0, name
            assert daemon.metric("stackd_retrains_triggered_total") == 2, name
            wait_until(f"{name}'s installs", lambda d=daemon: d.metric("stackd_model_installs_total") == 2)
            # The snapshot (every 100 ms) shows the model each pipeline serves.
            wait_until(f"{name}'s active version", lambda d=daemon: d.metric_sample("stackd_active_model_version", horizon="5") == 2)

        # SIGUSR1 (retrain now): one retrain per horizon (one here), on every pipeline's rows
        # at its current event time (12), applying from 12 + 2 = 14; every pipeline serves it.
        for name, daemon in started.items():
            daemon.proc.send_signal(signal.SIGUSR1)
        for name, daemon in started.items():
            wait_until(f"{name}'s on-demand retrain", lambda d=daemon: d.metric("stackd_retrains_total") == 3)
            assert daemon.metric("stackd_retrains_triggered_total") == 3, name
        for t in range(RETRAIN_EVENT_TIMES + 1, RETRAIN_EVENT_TIMES + 4):
            send_event_time(t)
        total = len(RETRAIN_SYMBOLS) * 3
        received = receive_outputs(consumers, lambda r: all(len(outs) >= total for outs in r.values()), MODELS)
        for name, outs in received.items():
            assert len(outs) == total, f"{name}: {len(outs)} outputs of {total} after the on-demand retrain"
            got = outputs_by_symbol(outs)
            for symbol in RETRAIN_SYMBOLS:
                assert [o["model_version"] for o in got[symbol]] == [2, 3, 3], f"{name}: {symbol}"
        for name, daemon in started.items():
            assert daemon.metric("stackd_retrains_total") == 3, name
            assert daemon.metric("stackd_retrains_triggered_total") == 3, f"{name}: one retrain per horizon"
            assert daemon.metric("stackd_late_model_installs_total") == 0, name
            wait_until(f"{name}'s installs", lambda d=daemon: d.metric("stackd_model_installs_total") == 3)
        for name, daemon in started.items():
            assert daemon.stop() == 0, f"{name} stops cleanly (its training thread joined)"
    finally:
        ctx.destroy(linger=0)
