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
    assert f"{path}:{line}: ingest.shards: more than one pipeline needs retraining off" in out.stderr, out.stderr
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
    """SIGHUP with N = 2 (one SUB socket per pipeline). `log.rejects_per_second` 0 -> 100, a key
    applied live, reaches both pipelines: a message each rejects (an unknown model) is logged only
    after the reload. A reload that also changes `models.names`, which refuses the reload, changes
    nothing in either pipeline: the rate stays 100 (their rejects are still logged, not silenced
    by the 0 the refused file asks for) and the models stay a, b, c (a row of the three completes)."""
    first = next(s for s in SYMBOLS if pipeline_of(s, 2) == 0)
    second = next(s for s in SYMBOLS if pipeline_of(s, 2) == 1)
    path = write_config(tmp_path, "two")
    base = path.read_text()
    path.write_text(base + "[log]\nrejects_per_second = 0\n")
    daemon = spawn(Daemon, path, "two")
    ctx = zmq.Context()
    try:
        consumer = counted_subscriber(ctx, daemon, f"ipc://{tmp_path}/out-two.sock")
        pub = publisher(ctx, bind=[f"ipc://{tmp_path}/publisher.sock"])
        await_subscriptions(pub, collections.Counter(f"{kind}.{s}.".encode() for s in SYMBOLS for kind in ("pred", "label")))
        ts = 1_700_000_000_000_000_000
        sent = collections.Counter()  # rejects sent

        def reject(model):
            """One message for each pipeline that it rejects: `model` is not configured."""
            for symbol in (first, second):
                pub.send_multipart(encode_prediction(model, symbol, HORIZON, ts, 1, [0.2, 0.3, 0.5]))
                sent["rejects"] += 1

        def logged(model, symbol):
            return f"topic=pred.{symbol}.{HORIZON}.{model} " in daemon.log()

        def rejected():
            return daemon.metric("stackd_rejected_messages_total", reason="unknown_model")

        def all_rejections_counted():
            wait_until(f"{sent['rejects']} rejections counted", lambda: rejected() == sent["rejects"])

        # Rate 0: rejected, counted by each pipeline, and not logged (checked below, once later
        # lines of the same pipelines prove these would have been written before them).
        reject("zz")
        all_rejections_counted()
        for i in range(2):
            assert daemon.metric("stackd_pipeline_messages_total", pipeline=i) == 1, f"pipeline {i} got its message"

        path.write_text(base + "[log]\nrejects_per_second = 100\n")
        daemon.signal(signal.SIGHUP)
        reloaded = daemon.wait_for_line(r"configuration reloaded")
        assert "log.rejects_per_second: 0 -> 100" in reloaded.string, reloaded.string
        # Each pipeline applies the new rate between two polls: reject until both have logged.
        wait_until("both pipelines logging rejects",
                   lambda: logged("zy", first) and logged("zy", second), poke=lambda: reject("zy"))
        assert not logged("zz", first) and not logged("zz", second), "nothing was logged at 0 per second"

        # Refused: models.names changes (and the rate would go back to 0): nothing applies.
        path.write_text(base.replace('names = ["a", "b", "c"]', 'names = ["a", "b"]')
                        + "[log]\nrejects_per_second = 0\n")
        mark = daemon.mark()
        daemon.signal(signal.SIGHUP)
        refused = daemon.wait_for_line(r"reload refused: these keys cannot change")
        assert "models.names" in refused.string and "log.rejects_per_second" not in refused.string, refused.string
        # Two rounds, each counted before the next is sent: the second is processed after at
        # least one more poll of each pipeline, when a rate the refusal had let through would apply.
        all_rejections_counted()  # the reload's probes included
        for model in ("zx", "zw"):
            reject(model)
            all_rejections_counted()
        wait_until("the last rejects logged by both pipelines", lambda: logged("zw", first) and logged("zw", second))
        # The running models: a row of a, b and c completes on each pipeline (c is not unknown).
        for symbol in (first, second):
            for model in MODELS:
                pub.send_multipart(encode_prediction(model, symbol, HORIZON, ts + 60_000_000_000, 2, [0.2, 0.3, 0.5]))
        outputs = []
        end = time.monotonic() + DEADLINE
        while len(outputs) < 2 and time.monotonic() < end:
            if consumer.poll(100):
                outputs.append(decode_ensemble(consumer.recv_multipart()[1], MODELS))
        assert sorted(o["symbol"] for o in outputs) == sorted([first, second]), outputs
        for o in outputs:
            assert o["models"] == MODELS and o["completion"] == "complete", o
        assert rejected() == sent["rejects"], "the running configuration's models are all still known"
        assert not any("configuration reloaded" in line for line in daemon.lines_since(mark))
    finally:
        ctx.destroy(linger=0)
    assert daemon.stop() == 0
