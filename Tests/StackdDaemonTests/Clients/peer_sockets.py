"""The test peers' side of connecting to a running stackd: an XPUB publisher that waits (bounded)
until the daemon has subscribed to every input prefix, and a SUB consumer of its output that, when
given the metrics port, waits (bounded) until the daemon counts the subscription, so no output is
lost to ZeroMQ's slow joiner. Shared by the peer scripts beside it (their directory is on sys.path).
"""
import sys
import time
import urllib.request

import zmq


def publisher(ctx, input_endpoint, prefixes=(b"pred.", b"label.")):
    """XPUB connected to stackd's input, returned once stackd subscribed to every prefix."""
    pub = ctx.socket(zmq.XPUB)
    pub.setsockopt(zmq.SNDHWM, 0)
    pub.connect(input_endpoint)
    subscribed = set()
    while not set(prefixes) <= subscribed:
        if not pub.poll(10000):
            sys.exit("stackd did not subscribe to %s (saw %r)"
                     % (", ".join(p.decode() for p in prefixes), sorted(subscribed)))
        subscribed.add(pub.recv()[1:])
    return pub


def consumer(ctx, output_endpoint, metrics_port=None, prefix=b""):
    """SUB connected to stackd's output; with `metrics_port`, returned once stackd counts it."""
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, prefix)
    sub.connect(output_endpoint)
    if metrics_port is None:
        return sub
    deadline = time.monotonic() + 10
    while True:
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as r:
            if any(line.startswith("stackd_output_subscriptions ") and float(line.split()[1]) >= 1
                   for line in r.read().decode().splitlines()):
                return sub
        if time.monotonic() > deadline:
            sys.exit("stackd never counted the output subscription")
        sub.poll(20)
