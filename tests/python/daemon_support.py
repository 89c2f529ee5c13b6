"""What the Python tests that start the real binary share: where it is, the environment it runs
in, a child process whose stderr is read on a thread, a `stackd run` daemon with its metrics,
and the one bounded wait. Messages are encoded with the client package (`clients/python`,
`stackd_client`), never by hand, so a test exercises the encoders users run.

Every wait is bounded by a timeout (DEADLINE unless told) and none sleeps on hope: a condition is
polled, a log line is read as it arrives. A child that fails to start is stopped before the error
leaves its constructor, and `stop` ends with SIGKILL when SIGTERM is not enough.

Needs `swift build` first (.build/debug/stackd, or STACKD_BINARY).
"""

import os
import pathlib
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import collections

import pytest
import zmq
from prometheus_client.parser import text_string_to_metric_families

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = pathlib.Path(os.environ.get("STACKD_BINARY") or ROOT / ".build" / "debug" / "stackd")
DEADLINE = 30  # seconds: the bound of every wait (a shared 2-core machine building in parallel is slow)

if str(ROOT / "clients" / "python") not in sys.path:
    sys.path.insert(0, str(ROOT / "clients" / "python"))
from stackd_client import decode_ensemble  # noqa: E402


def require_binary():
    """Fails (not skips) the test when the binary is missing: a skipped test proves nothing."""
    if not BINARY.exists():
        pytest.fail(f"{BINARY} is missing: run `swift build` first")


def clean_env():
    """The test's environment without what would change the daemon's behaviour: STACKD_*
    overrides and a systemd notification socket; one BLAS thread (results do not depend on it)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("STACKD_") and k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
    env["OPENBLAS_NUM_THREADS"] = "1"
    return env


def wait_until(what, condition, timeout=DEADLINE, poke=None):
    """Polls `condition` until it returns a true value (which is returned), calling `poke`
    between polls if given; fails the test naming `what` after `timeout` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        if poke:
            poke()
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


def subscriber(ctx, endpoint, prefix=b"ens.", receive_hwm=None):
    """A SUB consumer of `prefix` connected to `endpoint` (linger 0; `receive_hwm` 0 queues all)."""
    sub = ctx.socket(zmq.SUB)
    sub.linger = 0
    if receive_hwm is not None:
        sub.rcvhwm = receive_hwm
    sub.subscribe(prefix)
    sub.connect(endpoint)
    return sub


def counted_subscriber(ctx, daemon, endpoint):
    """A consumer of `ens.` at `endpoint`, returned once `daemon` counts its subscription (the
    outputs published from then on reach it)."""
    sub = subscriber(ctx, endpoint)
    wait_until(f"{daemon.name}'s consumer subscription", lambda: daemon.metric("stackd_output_subscriptions") == 1)
    return sub


def publisher(ctx, bind=(), connect=(), linger=0, send_hwm=0, verbose=True):
    """An XPUB input publisher; `verbose` passes up every subscriber's subscription, repeats
    included (`await_subscriptions` counts them); `send_hwm` 0 queues a burst whole."""
    pub = ctx.socket(zmq.XPUB)
    pub.linger = linger
    pub.sndhwm = send_hwm
    if verbose:
        pub.setsockopt(zmq.XPUB_VERBOSE, 1)
    for endpoint in bind:
        pub.bind(endpoint)
    for endpoint in connect:
        pub.connect(endpoint)
    return pub


def await_subscriptions(pub, expected, timeout=DEADLINE):
    """Receives subscription frames on the XPUB `pub` until they are exactly `expected` (a
    Counter of prefixes, or a set when each is expected once): stackd publishes nothing lost
    from then on. Fails naming what is missing or extra."""
    distinct = isinstance(expected, (set, frozenset))
    want = collections.Counter(expected)
    seen = collections.Counter()
    end = time.monotonic() + timeout
    while seen != want and time.monotonic() < end:
        if pub.poll(100):
            frame = pub.recv()
            if frame[:1] == b"\x01" and not (distinct and frame[1:] in seen):
                seen[frame[1:]] += 1
    assert seen == want, f"subscriptions: missing {want - seen}, extra {seen - want}"


def receive_outputs(consumers, enough, models, timeout=DEADLINE):
    """Decoded ensemble outputs from each SUB of `consumers` (name -> socket), received until
    `enough(received)` holds for the dict name -> outputs or `timeout` passes; each output's
    topic is checked against its payload."""
    received = {name: [] for name in consumers}
    poller = zmq.Poller()
    for sub in consumers.values():
        poller.register(sub, zmq.POLLIN)
    end = time.monotonic() + timeout
    while not enough(received) and time.monotonic() < end:
        for sub, _ in poller.poll(100):
            name = next(n for n, s in consumers.items() if s is sub)
            topic, payload = sub.recv_multipart()
            out = decode_ensemble(payload, models)
            assert topic == f"ens.{out['symbol']}.{out['horizon']}".encode()
            received[name].append(out)
    return received


def comparable(output):
    """An output without what differs between two daemons computing the same thing: its
    sequence number (per daemon) and its latency (wall clock)."""
    return {k: v for k, v in output.items() if k not in ("seq", "latency_ns")}


def outputs_by_symbol(outputs):
    """symbol -> its outputs in the order received, each `comparable`."""
    by = {}
    for output in outputs:
        by.setdefault(output["symbol"], []).append(comparable(output))
    return by


def fnv1a64(symbol):
    """64-bit FNV-1a of the symbol's UTF-8 bytes, from the hash's definition (not from the Swift
    code): the routing rules of schemas/shard-plan.md and of `ingest.shards` start from it."""
    h = 0xcbf29ce484222325
    for b in symbol.encode():
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


class Child:
    """A `stackd` subcommand as a child process whose stderr is collected on a thread."""

    def __init__(self, args, name):
        self.name = name
        self.proc = subprocess.Popen([str(BINARY)] + [str(a) for a in args], stderr=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, env=clean_env(), text=True)
        self.lines, self.queue, self.lock = [], queue.Queue(), threading.Lock()

        def read():
            for line in self.proc.stderr:
                with self.lock:
                    self.lines.append(line)
                self.queue.put(line)

        threading.Thread(target=read, daemon=True).start()

    def wait_for_line(self, pattern, timeout=DEADLINE):
        """The first match of `pattern` in the log, among the lines already read or those to come."""
        end = time.monotonic() + timeout
        with self.lock:
            for line in self.lines:
                if m := re.search(pattern, line):
                    return m
        while time.monotonic() < end:
            try:
                line = self.queue.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                break
            if m := re.search(pattern, line):
                return m
        pytest.fail(f"{self.name} never logged /{pattern}/; stderr so far:\n{self.log()}")

    def log(self):
        with self.lock:
            return "".join(self.lines)

    def mark(self):
        """How many lines have been read: `lines_since(mark)` is what came after."""
        with self.lock:
            return len(self.lines)

    def lines_since(self, mark):
        with self.lock:
            return self.lines[mark:]

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        """SIGTERM, then SIGKILL after DEADLINE; the exit code (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        return self.proc.returncode


class Daemon(Child):
    """`stackd run --config CONFIG`, running: its metrics port (when `[metrics] address` is
    set) and the input/output endpoints it logged (ports picked by the OS included)."""

    def __init__(self, config, name="stackd", metrics=True):
        super().__init__(["run", "--config", config], name)
        self.config = pathlib.Path(config)
        try:
            self.metrics_port = None
            if metrics:
                self.metrics_port = int(
                    self.wait_for_line(r"address=127\.0\.0\.1:(\d+) .*metrics endpoint listening").group(1))
            running = self.wait_for_line(r"stackd is running")
        except BaseException:
            self.stop()
            raise
        endpoint = re.search(r"input=(\S+)", running.string)
        self.input = endpoint.group(1) if endpoint else None
        endpoint = re.search(r"output=(\S+)", running.string)
        self.output = endpoint.group(1) if endpoint else None

    def metrics_text(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=10) as r:
            return r.read().decode()

    def metric(self, name, **labels):
        """The sum of the samples called `name` (as exposed, e.g. `..._total`) whose labels
        include `labels`; fails when there is none."""
        values = [s.value for family in text_string_to_metric_families(self.metrics_text()) for s in family.samples
                  if s.name == name and all(s.labels.get(k) == str(v) for k, v in labels.items())]
        if not values:
            raise AssertionError(f"no sample {name}{labels or ''}")
        return sum(values)

    def metric_sample(self, name, **labels):
        """The one sample called `name` whose labels are exactly `labels`; fails when there is none."""
        want = {k: str(v) for k, v in labels.items()}
        for family in text_string_to_metric_families(self.metrics_text()):
            for s in family.samples:
                if s.name == name and s.labels == want:
                    return s.value
        raise AssertionError(f"no sample {name}{labels or ''}")


@pytest.fixture
def spawn():
    """Starts children through `spawn(Daemon, config, name)` (or any `Child` class) and stops
    every one, newest first, at teardown, whether the test passed or not."""
    require_binary()
    children = []

    def start(kind, *args, **kwargs):
        child = kind(*args, **kwargs)
        children.append(child)
        return child

    yield start
    for child in reversed(children):
        child.stop()
