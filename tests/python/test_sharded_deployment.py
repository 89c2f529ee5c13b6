"""A sharded deployment on loopback, with real processes: `stackd proxy`, three `stackd run`
shards from the configurations `stackd shard-plan` writes, and one unsharded daemon, all fed the
same stream through the proxy by one pyzmq publisher.

Checked: each shard receives exactly its own symbols' predictions and labels (the publisher and
the proxy filter by the plan's topic prefixes; "AB" and "ABC" land on different shards), emits
only its own symbols, and the union of the shards' outputs, per symbol in order, equals the
unsharded daemon's. No retrain happens within the stream (`[retrain]` is off), so every daemon
answers with the averaging baseline and model version 0; with retraining, each shard learns from
its own symbols' window and its models (and their versions) differ from the single daemon's
(bench/SCALING.md). The averages are also checked against the sent vectors (independent truth).
Proxy and daemons stop on SIGTERM with exit 0.

Needs `swift build` first (.build/debug/stackd).
"""

import json
import random
import signal
import subprocess
import time

import pytest
import zmq

from daemon_support import BINARY, DEADLINE, Child, Daemon, await_subscriptions, clean_env, counted_subscriber, fnv1a64, \
    outputs_by_symbol, publisher, receive_outputs, require_binary, wait_until
from stackd_client import encode_label, encode_prediction

MODELS = ["a", "b", "c"]
HORIZON = 5
SYMBOLS = ["AAPL", "MSFT", "GOOG", "ABC", "AB", "NQ"]
EVENT_TIMES = 25


def shard_of(symbol, shards):
    """The documented rule (schemas/shard-plan.md), written independently of the Swift code."""
    return fnv1a64(symbol) % shards


TEMPLATE = """
[models]
names = ["a", "b", "c"]
[stream]
horizons = [5]
[input]
connect = ["ipc://{dir}/proxy-backend.sock"]
[output]
bind = ["ipc://{dir}/out-{{shard}}.sock"]
[assembly]
deadline_ms = 600000
[state]
directory = "{dir}/state-{{shard}}"
[record]
directory = "{dir}/record-{{shard}}"
[metrics]
address = "127.0.0.1:0"
"""

SINGLE = """
[models]
names = ["a", "b", "c"]
[stream]
horizons = [5]
symbols = [{symbols}]
[input]
connect = ["ipc://{dir}/proxy-backend.sock"]
[output]
bind = ["ipc://{dir}/out-single.sock"]
[assembly]
deadline_ms = 600000
[metrics]
address = "127.0.0.1:0"
"""


@pytest.fixture
def deployment(tmp_path):
    require_binary()
    children = []
    try:
        (tmp_path / "symbols.txt").write_text("# the universe\n" + "\n".join(SYMBOLS) + "\n")
        (tmp_path / "template.toml").write_text(TEMPLATE.format(dir=tmp_path))
        plan = subprocess.run([str(BINARY), "shard-plan", "--symbols", str(tmp_path / "symbols.txt"), "--shards", "3",
                               "--template", str(tmp_path / "template.toml"), "--out", str(tmp_path / "plan")],
                              capture_output=True, text=True, timeout=60)
        assert plan.returncode == 0, plan.stderr
        (tmp_path / "single.toml").write_text(SINGLE.format(dir=tmp_path, symbols=", ".join(f'"{s}"' for s in SYMBOLS)))

        proxy = Child(["proxy", "--frontend", f"ipc://{tmp_path}/proxy-frontend.sock",
                       "--backend", f"ipc://{tmp_path}/proxy-backend.sock"], "proxy")
        children.append(proxy)
        proxy.wait_for_line(r"stackd proxy is running")
        shards = []
        for i in range(3):
            shards.append(Daemon(tmp_path / "plan" / f"shard-{i}.toml", f"shard {i}"))
            children.append(shards[-1])
        single = Daemon(tmp_path / "single.toml", "single")
        children.append(single)
        yield tmp_path, proxy, shards, single
    finally:
        for child in reversed(children):
            child.stop()


def test_three_shards_behind_the_proxy_emit_what_one_daemon_emits(deployment):
    tmp_path, proxy, shards, single = deployment
    manifest = json.loads((tmp_path / "plan" / "plan.json").read_text())
    assert manifest["hash"] == "fnv1a64-utf8-mod-shards" and manifest["shard_count"] == 3
    for entry in manifest["shards"]:
        assert entry["symbols"] == [s for s in SYMBOLS if shard_of(s, 3) == entry["index"]]
        assert entry["output_bind"] == [f"ipc://{tmp_path}/out-{entry['index']}.sock"]
    owned = {entry["index"]: set(entry["symbols"]) for entry in manifest["shards"]}
    assert {"AB", "ABC"} & owned[0] != {"AB", "ABC"} & owned[2], "the prefix pair is split across shards"

    ctx = zmq.Context()
    try:
        consumers = {}
        for name, endpoint, daemon in [(f"shard-{i}", f"ipc://{tmp_path}/out-{i}.sock", shards[i]) for i in range(3)] + [
                ("single", f"ipc://{tmp_path}/out-single.sock", single)]:
            consumers[name] = counted_subscriber(ctx, daemon, endpoint)

        pub = publisher(ctx, connect=[f"ipc://{tmp_path}/proxy-frontend.sock"], verbose=False)
        # Through the proxy: each prefix once, whoever subscribed to it.
        await_subscriptions(pub, {b"pred.", b"label."} | {f"{kind}.{s}.".encode() for s in SYMBOLS
                                                          for kind in ("pred", "label")})

        rng = random.Random(13)
        sent = {}                                    # (symbol, ts) -> the models' vectors
        # One sequence per model *per shard* (and one for labels per shard), as schemas/shard-plan.md
        # advises: each shard then sees gap-free sequences and counts nothing as missed.
        seq = {(m, i): 0 for m in MODELS for i in range(3)}
        label_seq = {i: 0 for i in range(3)}
        for t in range(1, EVENT_TIMES + 1):
            ts = 1_700_000_000_000_000_000 + t * 60_000_000_000
            for symbol in SYMBOLS:
                vectors = []
                shard = shard_of(symbol, 3)
                for model in MODELS:
                    raw = [rng.random() + 0.01 for _ in range(3)]
                    probs = [x / sum(raw) for x in raw]
                    vectors.append(probs)
                    seq[(model, shard)] += 1
                    pub.send_multipart(encode_prediction(model, symbol, HORIZON, ts, seq[(model, shard)], probs))
                sent[(symbol, ts)] = vectors
                label_seq[shard] += 1
                pub.send_multipart(encode_label(symbol, HORIZON, ts, label_seq[shard], rng.randrange(3),
                                                rng.uniform(-0.01, 0.01)))

        total = len(SYMBOLS) * EVENT_TIMES
        received = receive_outputs(consumers, lambda r: sum(len(r[f"shard-{i}"]) for i in range(3)) >= total
                                   and len(r["single"]) >= total, MODELS)
        assert len(received["single"]) == total
        assert sum(len(received[f"shard-{i}"]) for i in range(3)) == total

        sharded = outputs_by_symbol(out for i in range(3) for out in received[f"shard-{i}"])
        unsharded = outputs_by_symbol(received["single"])
        assert sharded == unsharded
        for i in range(3):
            assert {out["symbol"] for out in received[f"shard-{i}"]} == owned[i], f"shard {i} emits only its symbols"
        for out in received["single"]:
            vectors = sent[(out["symbol"], out["ts"])]
            assert out["method"] == "average" and out["model_version"] == 0 and out["completion"] == "complete"
            assert out["probs"] == pytest.approx([sum(v[c] for v in vectors) / 3 for c in range(3)], abs=1e-12)
        for symbol, outs in unsharded.items():
            assert [o["ts"] for o in outs] == sorted(o["ts"] for o in outs), f"{symbol} in event-time order"

        # Filtering happened before the shards: each received its own symbols' messages only.
        per_symbol_messages = EVENT_TIMES * (len(MODELS) + 1)
        for i, daemon in enumerate(shards):
            wait_until(f"shard {i}'s counters", lambda d=daemon, n=len(owned[i]) * per_symbol_messages:
                       d.metric("stackd_messages_received_total") == n)
        assert single.metric("stackd_messages_received_total") == len(SYMBOLS) * per_symbol_messages
        for i, daemon in enumerate(shards):
            assert daemon.metric("stackd_input_messages_missed_total") == 0, f"shard {i}: per-shard sequences have no gap"
            assert daemon.metric("stackd_input_labels_missed_total") == 0, f"shard {i}"
    finally:
        ctx.destroy(linger=0)

    for i, daemon in enumerate(shards):
        assert daemon.stop() == 0, f"shard {i} stops cleanly"
        assert (tmp_path / f"state-{i}").is_dir() and (tmp_path / f"record-{i}").is_dir()
    assert single.stop() == 0
    assert proxy.stop() == 0, "the proxy stops cleanly on SIGTERM"
    proxy.wait_for_line(r"stackd proxy stopped")


def test_shard_plan_refuses_bad_input_with_a_clear_error(tmp_path):
    require_binary()
    (tmp_path / "template.toml").write_text(TEMPLATE.format(dir=tmp_path))

    def plan(symbols_text, shards):
        (tmp_path / "symbols.txt").write_text(symbols_text)
        return subprocess.run([str(BINARY), "shard-plan", "--symbols", str(tmp_path / "symbols.txt"), "--shards",
                               str(shards), "--template", str(tmp_path / "template.toml"), "--out",
                               str(tmp_path / "plan")], capture_output=True, text=True, timeout=60)

    cases = [("", 2, "no symbols"), ("AAPL\nMSFT\nAAPL\n", 2, "duplicate symbol \"AAPL\""),
             ("AAPL\nMSFT\n", 0, "at least 1"), ("AAPL\nMSFT\n", 3, "more than the 2 symbols")]
    for text, shards, message in cases:
        out = plan(text, shards)
        assert out.returncode == 78, (text, shards, out.stderr)
        assert message in out.stderr, out.stderr
        assert not (tmp_path / "plan").exists(), "nothing is written on refusal"


def test_proxy_refuses_a_plaintext_remote_bind(tmp_path):
    require_binary()
    out = subprocess.run([str(BINARY), "proxy", "--frontend", "tcp://0.0.0.0:0", "--backend",
                          f"ipc://{tmp_path}/b.sock"], capture_output=True, text=True, timeout=60, env=clean_env())
    assert out.returncode == 78
    assert "plaintext" in out.stderr and "--allow-plaintext-remote" in out.stderr


def test_proxy_refuses_an_endpoint_it_cannot_bind(tmp_path):
    require_binary()
    for frontend, message in [(f"ipc://{tmp_path}/missing/f.sock", "refusing to start"),
                              ("udp://127.0.0.1:1", "must start with tcp://, ipc:// or inproc://")]:
        out = subprocess.run([str(BINARY), "proxy", "--frontend", frontend, "--backend", f"ipc://{tmp_path}/b.sock"],
                             capture_output=True, text=True, timeout=60, env=clean_env())
        assert out.returncode == 78, out.stderr
        assert message in out.stderr and frontend in out.stderr, out.stderr


def test_proxy_tells_systemd_it_is_ready_and_stopping(tmp_path):
    """Under systemd (`Type=notify`, systemd/stackd-proxy.service): READY=1 once bound, STOPPING=1 on SIGTERM."""
    import socket as pysocket
    require_binary()
    notify = pysocket.socket(pysocket.AF_UNIX, pysocket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.settimeout(DEADLINE)
    env = clean_env()
    env["NOTIFY_SOCKET"] = str(tmp_path / "notify")
    proc = subprocess.Popen([str(BINARY), "proxy", "--frontend", f"ipc://{tmp_path}/f.sock", "--backend",
                             f"ipc://{tmp_path}/b.sock"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        messages = []
        while not any("READY=1" in m for m in messages):
            messages.append(notify.recv(4096).decode())
        assert (tmp_path / "f.sock").exists() and (tmp_path / "b.sock").exists(), "READY=1 comes after the binds"
        proc.send_signal(signal.SIGTERM)
        while not any("STOPPING=1" in m for m in messages):
            messages.append(notify.recv(4096).decode())
        assert proc.wait(timeout=DEADLINE) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        notify.close()
