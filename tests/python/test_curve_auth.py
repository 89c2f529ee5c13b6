"""CURVE authentication of `stackd run`, with real pyzmq CURVE clients against the built binary.

The daemon's key pair comes from `stackd keygen`, the clients' from pyzmq's
`zmq.auth.create_certificates` (the two write the same certificate format), and the clients use
`clients/python/stackd_client.configure_curve_client`. Checked: a known key's predictions produce
an ensemble output received by a CURVE consumer; an unknown key and a plaintext client are
refused, get nothing through, and are counted in /metrics and logged with the peer address; a
key copied into the allow-list directory is admitted after SIGHUP.

Needs `swift build` first (.build/debug/stackd).
"""

import os
import re
import shutil
import signal
import stat
import subprocess
import threading

import pytest
import zmq
import zmq.auth

from daemon_support import BINARY, DEADLINE, Daemon, require_binary, subscriber, wait_until
from stackd_client import configure_curve_client, decode_ensemble, encode_prediction, load_curve_key


@pytest.fixture
def keys(tmp_path):
    """Server keys from `stackd keygen`; client keys from pyzmq; `clients/` is the allow-list."""
    require_binary()
    out = subprocess.run([str(BINARY), "keygen", "--out", str(tmp_path / "server"), "--name", "stackd"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert re.match(r"public key \S{40}\n", out.stdout)
    pending = tmp_path / "pending"
    pending.mkdir()
    for name in ("lgbm", "consumer", "stranger"):
        zmq.auth.create_certificates(str(pending), name)
        os.chmod(pending / f"{name}.key_secret", 0o600)
    clients = tmp_path / "clients"
    clients.mkdir()
    for name in ("lgbm", "consumer"):
        shutil.copy(pending / f"{name}.key", clients / f"{name}.key")
    return tmp_path


def test_keygen_writes_a_pyzmq_readable_pair_owner_only_and_refuses_to_overwrite(keys):
    secret = keys / "server" / "stackd.key_secret"
    public = keys / "server" / "stackd.key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    # pyzmq reads stackd's files, and the halves belong together.
    pub, sec = zmq.auth.load_certificate(str(secret))
    assert zmq.curve_public(sec) == pub
    assert zmq.auth.load_certificate(str(public)) == (pub, None)
    assert load_curve_key(str(public)) == (pub, None)
    before = secret.read_bytes()
    again = subprocess.run([str(BINARY), "keygen", "--out", str(keys / "server"), "--name", "stackd"],
                           capture_output=True, text=True, timeout=60)
    assert again.returncode != 0
    assert "refusing to overwrite" in again.stderr
    assert secret.read_bytes() == before


def write_config(tmp_path):
    """CURVE on, the server's secret key from `keys`, `clients/` as the allow-list; loopback
    ports picked by the OS (the daemon logs them)."""
    config = tmp_path / "stackd.toml"
    config.write_text(f"""
[models]
names = ["a", "b"]
[stream]
horizons = [5]
symbols = ["SPX"]
[input]
bind = ["tcp://127.0.0.1:*"]
[output]
bind = ["tcp://127.0.0.1:*"]
encoding = "json"
[assembly]
deadline_ms = 600000
[metrics]
address = "127.0.0.1:0"
[security]
curve = true
secret_key_file = "{tmp_path}/server/stackd.key_secret"
client_keys_directory = "{tmp_path}/clients"
""")
    return config


@pytest.fixture
def daemon(keys, spawn):
    d = spawn(Daemon, write_config(keys))
    d.server_key = str(keys / "server" / "stackd.key")
    return d


@pytest.fixture
def ctx():
    c = zmq.Context()
    yield c
    c.destroy(linger=0)


def publisher(ctx, daemon, keys, name):
    """An XPUB connected to the daemon's input: CURVE with NAME's key, or plaintext for None."""
    pub = ctx.socket(zmq.XPUB)
    pub.linger = 0
    if name is not None:
        configure_curve_client(pub, daemon.server_key, str(keys / "pending" / f"{name}.key_secret"))
    pub.connect(daemon.input)
    return pub


def test_known_key_is_accepted_unknown_and_plaintext_are_refused_and_counted(daemon, keys, ctx):
    wait_until("the allow-list gauge", lambda: daemon.metric("stackd_auth_clients_allowed") == 2)

    consumer = ctx.socket(zmq.SUB)
    consumer.linger = 0
    consumer.subscribe(b"ens.")
    configure_curve_client(consumer, daemon.server_key, str(keys / "pending" / "consumer.key_secret"))
    consumer.connect(daemon.output)
    wait_until("the CURVE consumer's subscription", lambda: daemon.metric("stackd_output_subscriptions") == 1)

    stranger = publisher(ctx, daemon, keys, "stranger")
    plain = publisher(ctx, daemon, keys, None)
    wait_until("the unknown key counted", lambda: daemon.metric("stackd_auth_failures_total", reason="unknown_key") >= 1)
    # Whichever side sees the mechanism mismatch first: the daemon (no_curve), or the client,
    # which then hangs up mid-handshake (incomplete).
    wait_until("the plaintext client counted",
               lambda: daemon.metric("stackd_auth_failures_total", reason="no_curve")
               + daemon.metric("stackd_auth_failures_total", reason="incomplete") >= 1)
    assert not stranger.poll(300), "a refused publisher never receives the daemon's subscription"
    assert not plain.poll(300)
    # Refused sockets queue nothing (no completed connection): these never reach the daemon.
    for pub, model in ((stranger, "a"), (plain, "b")):
        try:
            pub.send_multipart(encode_prediction(model, "SPX", 5, 1_000, 1, [0.9, 0.05, 0.05]), zmq.NOBLOCK)
        except zmq.Again:
            pass

    known = publisher(ctx, daemon, keys, "lgbm")
    assert known.poll(DEADLINE * 1000), "the known key's connection receives the daemon's subscription"
    known.recv()
    known.send_multipart(encode_prediction("a", "SPX", 5, 2_000, 1, [0.2, 0.3, 0.5]))
    known.send_multipart(encode_prediction("b", "SPX", 5, 2_000, 1, [0.4, 0.4, 0.2]))
    assert consumer.poll(DEADLINE * 1000), "the row of the known publisher produces an output"
    topic, payload = consumer.recv_multipart()
    out = decode_ensemble(payload)
    assert topic == b"ens.SPX.5"
    assert out["ts"] == 2_000
    assert out["probs"] == pytest.approx([0.3, 0.35, 0.35], abs=1e-12)
    assert out["models"] == ["a", "b"]

    wait_until("the two messages counted", lambda: daemon.metric("stackd_messages_received_total") >= 2)
    # The refused peers' predictions (sent first) would have been counted and left a pending row.
    assert daemon.metric("stackd_messages_received_total") == 2, "nothing from the refused peers got in"
    assert daemon.metric("stackd_predictions_accepted_total") == 2
    assert daemon.metric("stackd_pending_rows") == 0
    assert daemon.metric("stackd_auth_failures_total", reason="handshake") == 0
    m = daemon.wait_for_line(r"address=(\S+) .*reason=unknown_key .*refused a peer")
    assert m.group(1) == "127.0.0.1"
    assert stranger_key(keys) in daemon.log(), "the refused key is named in the log"
    assert re.search(r"client=lgbm .*authenticated a CURVE client", daemon.log())
    assert daemon.stop() == 0


def stranger_key(keys):
    return load_curve_key(str(keys / "pending" / "stranger.key"))[0].decode()


def test_sighup_reload_admits_a_key_added_to_the_directory(daemon, keys, ctx):
    first = publisher(ctx, daemon, keys, "stranger")
    wait_until("the unknown key refused", lambda: daemon.metric("stackd_auth_failures_total", reason="unknown_key") >= 1)
    first.close()

    shutil.copy(keys / "pending" / "stranger.key", keys / "clients" / "stranger.key")
    daemon.signal(signal.SIGHUP)
    daemon.wait_for_line(r"clients=3 .*client allow-list reloaded")
    wait_until("the allow-list gauge at 3", lambda: daemon.metric("stackd_auth_clients_allowed") == 3)

    admitted = publisher(ctx, daemon, keys, "stranger")
    assert admitted.poll(DEADLINE * 1000), "after the reload the key's connection completes"
    admitted.recv()
    admitted.send_multipart(encode_prediction("a", "SPX", 5, 3_000, 1, [0.2, 0.3, 0.5]))
    wait_until("the admitted publisher's message", lambda: daemon.metric("stackd_messages_received_total") == 1)
    assert re.search(r"client=stranger .*authenticated a CURVE client", daemon.log())


def test_record_connects_as_a_curve_client_and_replay_publishes_to_curve_consumers_only(keys, ctx, tmp_path):
    # A model publisher binding as a CURVE server (pyzmq without an authenticator: any client
    # knowing its key may connect); stackd record connects to it with the publisher's key.
    zmq.auth.create_certificates(str(tmp_path / "pending"), "model")
    model_public, model_secret = zmq.auth.load_certificate(str(tmp_path / "pending" / "model.key_secret"))
    pub = ctx.socket(zmq.XPUB)
    pub.linger = 1000
    pub.curve_server = True
    pub.curve_secretkey = model_secret
    pub.bind("tcp://127.0.0.1:*")
    endpoint = pub.last_endpoint.decode()
    journal = tmp_path / "journal"
    record = subprocess.Popen([str(BINARY), "record", "--endpoint", endpoint, "--out", str(journal), "--max-messages", "2",
                               "--curve-server-key", str(tmp_path / "pending" / "model.key"),
                               "--curve-secret-key", str(tmp_path / "server" / "stackd.key_secret")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert pub.poll(DEADLINE * 1000), "the recorder's CURVE connection completes and subscribes"
        pub.recv()
        pub.send_multipart(encode_prediction("a", "SPX", 5, 5_000, 1, [0.1, 0.2, 0.7]))
        pub.send_multipart(encode_prediction("b", "SPX", 5, 5_000, 1, [0.3, 0.4, 0.3]))
        out, err = record.communicate(timeout=DEADLINE)
    finally:
        if record.poll() is None:
            record.kill()
            record.wait()
    assert record.returncode == 0, err
    assert "recorded 2 messages" in out

    config = tmp_path / "replay.toml"
    config.write_text("""
[models]
names = ["a", "b"]
[stream]
horizons = [5]
[input]
bind = ["ipc:///tmp/stackd-unused-replay.sock"]
[output]
bind = ["ipc:///tmp/stackd-unused-replay-out.sock"]
encoding = "json"
""")
    bound = f"ipc://{tmp_path}/replay.sock"   # known in advance: the replay's stdout is block-buffered
    replay = subprocess.Popen([str(BINARY), "replay", str(journal), "--config", str(config),
                               "--publish", bound, "--wait-for-subscribers", "1",
                               "--curve-secret-key", str(tmp_path / "server" / "stackd.key_secret"),
                               "--client-keys", str(tmp_path / "clients")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        plain = subscriber(ctx, bound)
        consumer = ctx.socket(zmq.SUB)
        consumer.linger = 0
        consumer.subscribe(b"ens.")
        configure_curve_client(consumer, str(tmp_path / "server" / "stackd.key"),
                               str(tmp_path / "pending" / "consumer.key_secret"))
        consumer.connect(bound)
        assert consumer.poll(DEADLINE * 1000), "the CURVE consumer receives the replayed output"
        topic, payload = consumer.recv_multipart()
        assert topic == b"ens.SPX.5"
        assert decode_ensemble(payload)["probs"] == pytest.approx([0.2, 0.3, 0.5], abs=1e-12)
        out, err = replay.communicate(timeout=DEADLINE)
        assert replay.returncode == 0, err
        assert "published 1 outputs" in out
        assert not plain.poll(0), "the plaintext consumer got nothing"
    finally:
        if replay.poll() is None:
            replay.kill()
            replay.wait()


def test_binding_beyond_loopback_in_plaintext_is_refused(tmp_path):
    r = subprocess.run([str(BINARY), "record", "--bind", "--endpoint", "tcp://0.0.0.0:*", "--out", str(tmp_path / "j"),
                        "--max-messages", "1"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "plaintext" in r.stderr and "--allow-plaintext-remote" in r.stderr
    assert not (tmp_path / "j").exists()
    r = subprocess.run([str(BINARY), "replay", str(tmp_path), "--publish", "tcp://*:5999"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "--allow-plaintext-remote" in r.stderr


def test_record_binding_with_curve_admits_only_its_client_keys(keys, ctx, tmp_path):
    journal = tmp_path / "bound-journal"
    endpoint = f"ipc://{tmp_path}/record.sock"
    record = subprocess.Popen([str(BINARY), "record", "--bind", "--endpoint", endpoint, "--out", str(journal),
                               "--max-messages", "1", "--no-compress", "--curve-secret-key", str(tmp_path / "server" / "stackd.key_secret"),
                               "--client-keys", str(tmp_path / "clients")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def connect(name):
            pub = ctx.socket(zmq.XPUB)
            pub.linger = 1000
            configure_curve_client(pub, str(tmp_path / "server" / "stackd.key"),
                                   str(tmp_path / "pending" / f"{name}.key_secret"))
            pub.connect(endpoint)
            return pub

        # The recorder's log, read as it is written: the stranger's refusal is awaited before the
        # one message that ends the recording is sent (the two handshakes complete in any order).
        lines, refused = [], threading.Event()

        def read_log():
            for line in record.stderr:
                lines.append(line)
                if "refused a peer" in line:
                    refused.set()
        reader = threading.Thread(target=read_log, daemon=True)
        reader.start()
        stranger = connect("stranger")
        known = connect("lgbm")
        assert known.poll(DEADLINE * 1000), "the allowed publisher's handshake completes"
        known.recv()
        assert refused.wait(DEADLINE), "the recorder logs the stranger's refusal"
        assert not stranger.poll(0), "the unknown key never gets the recorder's subscription"
        try:
            stranger.send_multipart([b"pred.SPX.5.x", b"forged"], zmq.NOBLOCK)
        except zmq.Again:
            pass
        known.send_multipart(encode_prediction("a", "SPX", 5, 7_000, 1, [0.2, 0.3, 0.5]))
        out = record.stdout.read()
        record.wait(timeout=DEADLINE)
        reader.join(timeout=DEADLINE)
        err = "".join(lines)
    finally:
        if record.poll() is None:
            record.kill()
            record.wait()
    assert record.returncode == 0, err
    assert "recorded 1 messages" in out
    stored = b"".join(f.read_bytes() for f in journal.rglob("*") if f.is_file())
    assert b"pred.SPX.5.a" in stored and b"forged" not in stored, "the one message recorded is the allowed publisher's"
    assert re.search(r"reason=unknown_key .*refused a peer", err)
    assert re.search(r"client=lgbm .*authenticated a CURVE client", err)
