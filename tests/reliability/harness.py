"""The real `stackd` binary as a child process, and the peers the reliability suite talks to it with.

Every wait is bounded and ends on a condition (a log line, a metric, a subscription, an output),
never on a sleep; every child is killed by the fixture that made it, whatever the test's outcome.
"""
import json
import os
import pathlib
import re
import signal
import struct
import subprocess
import threading
import time
import urllib.error
import urllib.request

import zmq

import metric_names as M

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = pathlib.Path(os.environ.get("STACKD_BINARY", ROOT / ".build" / "debug" / "stackd"))

PREDICTION_HEADER = "<2sBBBBBBIIqQ"     # schemas/wire.md 4.1
LABEL_FIXED = "<2sBBBBBBIIqQdq"         # schemas/wire.md 4.2
ENSEMBLE_HEADER = "<2sBBBBBBIIqQQQBBBBI"  # schemas/wire.md 4.3


def prediction(model, symbol, horizon, ts, seq, probs):
    """`[topic, payload]` of a binary prediction (wire.md 4.1)."""
    m, s = model.encode(), symbol.encode()
    payload = (struct.pack(PREDICTION_HEADER, b"SK", 1, 1, len(probs), len(m), len(s), 0, horizon, 0, ts, seq)
               + struct.pack(f"<{len(probs)}d", *probs) + m + s)
    return [f"pred.{symbol}.{horizon}.{model}".encode(), payload]


def label(symbol, horizon, ts, seq, class_index, fwd_return=0.001, exit_ts=0, class_count=3):
    """`[topic, payload]` of a binary label (wire.md 4.2)."""
    s = symbol.encode()
    payload = struct.pack(LABEL_FIXED, b"SK", 1, 2, class_index, class_count, len(s), 0, horizon, 0, ts, seq,
                          fwd_return, exit_ts) + s
    return [f"label.{symbol}.{horizon}".encode(), payload]


def output_event_time(payload):
    """Event time of an ensemble output, binary or JSON."""
    if payload[:1] == b"{":
        return json.loads(payload)["ts"]
    return struct.unpack_from("<q", payload, 16)[0]


class Deadline:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    @property
    def left(self):
        return max(0.0, self.end - time.monotonic())

    @property
    def passed(self):
        return time.monotonic() >= self.end


def parse_metrics(text):
    """Prometheus text -> {name: {frozenset(label items): value}}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$', line)
        if not m:
            continue
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        out.setdefault(m.group(1), {})[labels] = float(m.group(3))
    return out


class Metrics:
    """One scrape of /metrics."""

    def __init__(self, text):
        self.text = text
        self.families = parse_metrics(text)

    def has(self, name):
        return name in self.families

    def value(self, name, **labels):
        """The sample with exactly these labels; 0 when the family is absent."""
        samples = self.families.get(name, {})
        return samples.get(frozenset(labels.items()), 0.0)

    def total(self, name, **labels):
        """Sum of every sample of `name` whose labels include `labels`."""
        want = set(labels.items())
        return sum(v for k, v in self.families.get(name, {}).items() if want <= set(k))

    def by_label(self, name, key):
        return {dict(k).get(key): v for k, v in self.families.get(name, {}).items()}


class Daemon:
    """`stackd run --config FILE` with its stderr collected on a thread (never a full pipe)."""

    def __init__(self, config_path, extra_env=None, args=()):
        env = dict(os.environ)
        for k in ("STACKD_STATE_DIRECTORY", "STACKD_METRICS_ADDRESS", "STACKD_LOG_LEVEL", "NOTIFY_SOCKET",
                  "WATCHDOG_USEC", "WATCHDOG_PID"):
            env.pop(k, None)
        env["OPENBLAS_NUM_THREADS"] = "1"
        env.update(extra_env or {})
        self.config_path = str(config_path)
        self.process = subprocess.Popen([str(BINARY), "run", "--config", self.config_path, *args],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, env=env)
        self.lines = []
        self._cond = threading.Condition()
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port = None

    def _read(self):
        for raw in self.process.stderr:
            with self._cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def pid(self):
        return self.process.pid

    @property
    def log(self):
        with self._cond:
            return "\n".join(self.lines)

    def wait_line(self, predicate, timeout=30, start=0):
        """First line (index >= start) satisfying predicate (a substring or a callable); None after timeout."""
        match = (lambda l: predicate in l) if isinstance(predicate, str) else predicate
        deadline = Deadline(timeout)
        with self._cond:
            i = start
            while True:
                while i < len(self.lines):
                    if match(self.lines[i]):
                        return self.lines[i]
                    i += 1
                if self._closed or deadline.passed:
                    return None
                self._cond.wait(min(deadline.left, 0.5))

    def mark(self):
        """The current line count, to wait for lines after this point."""
        with self._cond:
            return len(self.lines)

    def wait_ready(self, timeout=60):
        """Waits for the metrics port and /readyz 200; returns the port."""
        line = self.wait_line(M.LOG_METRICS_LISTENING, timeout)
        if line is None:
            raise AssertionError(f"no metrics endpoint line; exit={self.wait_exit(5)}\n{self.log[-4000:]}")
        self.port = int(re.search(r"address=[^ ]*:(\d+)", line).group(1))
        deadline = Deadline(timeout)
        while not deadline.passed:
            if self.http("/readyz")[0] == 200:
                return self.port
            assert self.process.poll() is None, f"daemon exited {self.process.returncode}\n{self.log}"
            time.sleep(0.02)
        raise AssertionError(f"/readyz never answered 200\n{self.log}")

    def http(self, path, timeout=5):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return None, ""

    def metrics(self):
        status, body = self.http("/metrics")
        assert status == 200, f"/metrics answered {status}"
        return Metrics(body)

    def wait_metrics(self, predicate, timeout=30, what="condition"):
        """Scrapes /metrics until predicate(Metrics) holds; returns that scrape."""
        deadline = Deadline(timeout)
        last = None
        while not deadline.passed:
            status, body = self.http("/metrics")
            if status == 200:
                last = Metrics(body)
                if predicate(last):
                    return last
            assert self.process.poll() is None, f"daemon exited {self.process.returncode} waiting for {what}\n{self.log[-4000:]}"
            time.sleep(0.05)
        raise AssertionError(f"metrics never showed {what}; last scrape:\n"
                             + "\n".join(l for l in (last.text if last else "").splitlines() if not l.startswith("#"))[:4000])

    def vm_rss_kib(self):
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except FileNotFoundError:
            return None
        return None

    def send_signal(self, sig):
        if self.process.poll() is None:
            os.kill(self.pid, sig)

    def wait_exit(self, timeout=30):
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Sends `sig` and waits; SIGKILL past the timeout. The exit status (negative: killed by a signal)."""
        self.send_signal(sig)
        rc = self.wait_exit(timeout)
        if rc is None:
            self.kill()
        self._reader.join(5)
        return rc

    def kill(self):
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            self.process.wait(10)
        self._reader.join(5)


class Peers:
    """A pyzmq publisher (XPUB, so it sees the daemon's subscriptions) and an output consumer (SUB)."""

    def __init__(self, input_endpoint, output_endpoint=None, consumer_hwm=None, publisher_hwm=0):
        self.context = zmq.Context()
        self.publisher = self.context.socket(zmq.XPUB)
        self.publisher.setsockopt(zmq.LINGER, 2000)
        self.publisher.setsockopt(zmq.SNDHWM, publisher_hwm)
        # Blocks instead of dropping at the HWM: every message counted as sent really goes out.
        self.publisher.setsockopt(zmq.XPUB_NODROP, 1)
        self.publisher.setsockopt(zmq.SNDTIMEO, 30000)
        self.publisher.connect(input_endpoint)
        self.consumer = None
        if output_endpoint:
            self.consumer = self.context.socket(zmq.SUB)
            self.consumer.setsockopt(zmq.LINGER, 0)
            if consumer_hwm is not None:
                self.consumer.setsockopt(zmq.RCVHWM, consumer_hwm)
                self.consumer.setsockopt(zmq.RCVBUF, 4096)
            self.consumer.setsockopt(zmq.SUBSCRIBE, b"ens.")
            self.consumer.connect(output_endpoint)

    def wait_subscribed(self, prefixes=(b"pred.", b"label."), timeout=20):
        """Bounded wait for the daemon's subscriptions to reach the publisher (readiness, not a sleep)."""
        seen = set()
        deadline = Deadline(timeout)
        while not set(prefixes) <= seen:
            assert not deadline.passed, f"subscriptions seen: {seen}"
            if self.publisher.poll(int(deadline.left * 1000) + 1):
                msg = self.publisher.recv()
                if msg[:1] == b"\x01":
                    seen.add(msg[1:])

    def send(self, frames):
        self.publisher.send_multipart(frames)

    def receive_output(self, timeout=10):
        """(topic, payload) of the next output, or None after timeout."""
        if self.consumer.poll(int(timeout * 1000)):
            return self.consumer.recv_multipart()
        return None

    def await_output(self, ts, timeout=15, daemon=None):
        """Reads outputs until the one for event time `ts` arrives; False after timeout, or as soon
        as `daemon` (when given) has exited."""
        deadline = Deadline(timeout)
        while not deadline.passed:
            got = self.receive_output(min(deadline.left, 0.5))
            if got and len(got) == 2 and output_event_time(got[1]) == ts:
                return True
            if daemon is not None and daemon.process.poll() is not None:
                return False
        return False

    def close(self):
        self.publisher.close(0)
        if self.consumer is not None:
            self.consumer.close(0)
        self.context.term()


def send_row(peers, models, ts, symbol="SPX", horizon=5, probs=(0.2, 0.3, 0.5), seq=0):
    for m in models:
        peers.send(prediction(m, symbol, horizon, ts, seq, list(probs)))


def run_check_config(path, timeout=30):
    """`stackd check-config PATH`: (exit status, stdout, stderr)."""
    r = subprocess.run([str(BINARY), "check-config", str(path)], capture_output=True, timeout=timeout,
                       stdin=subprocess.DEVNULL, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def run_binary(args, timeout=120):
    r = subprocess.run([str(BINARY), *args], capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
                       env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def core_dumped(returncode):
    """A return code that says the child died of a signal (negative in subprocess)."""
    return returncode is not None and returncode < 0


def config_text(directory, models=("a", "b"), horizons=(5,), extra="", level="info", encoding="binary",
                deadline_ms=50):
    """A configuration on ipc endpoints inside `directory`, metrics on an ephemeral port."""
    names = ", ".join(f'"{m}"' for m in models)
    hs = ", ".join(str(h) for h in horizons)
    return f"""\
[models]
names = [{names}]
[stream]
horizons = [{hs}]
symbols = ["SPX"]
[input]
bind = ["ipc://{directory}/in.sock"]
[output]
bind = ["ipc://{directory}/out.sock"]
encoding = "{encoding}"
[assembly]
deadline_ms = {deadline_ms}
[metrics]
address = "127.0.0.1:0"
[log]
level = "{level}"
{extra}
"""


def feed_labelled_rows(peers, models, rows, rng, first_ts, symbol="SPX", horizon=5, batch=500):
    """Sends `rows` complete rows and, one batch later, their labels (class drawn near model
    `models[0]`'s most probable class, so a learner has something to find); closes with a sentinel
    row whose output proves every label before it was processed. Returns the next free event time."""
    ts = first_ts
    pending = []
    sent = 0
    while sent < rows or pending:
        current = []
        for _ in range(min(batch, rows - sent)):
            ts += 1
            top = None
            for m in models:
                raw = [rng.random() + 0.05 for _ in range(3)]
                total = sum(raw)
                probs = [x / total for x in raw]
                if top is None:
                    top = max(range(3), key=probs.__getitem__)
                peers.send(prediction(m, symbol, horizon, ts, 0, probs))
            current.append((ts, top if rng.random() < 0.6 else rng.randrange(3)))
            sent += 1
        for t, cls in pending:
            peers.send(label(symbol, horizon, t, 0, cls, fwd_return=(cls - 1) * 0.01, exit_ts=ts))
        pending = current
    ts += 1
    send_row(peers, models, ts, symbol=symbol, horizon=horizon)
    assert peers.await_output(ts, timeout=120), "sentinel output after the labelled rows"
    return ts + 1
