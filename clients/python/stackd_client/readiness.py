"""Readiness: send only once the peer's subscription has arrived (schemas/wire.md §1.1).

A ZeroMQ PUB drops, silently, every message sent before the subscriber's subscription reached
it. A publisher to stackd should therefore use an XPUB socket and wait until stackd's
subscriptions (``pred.`` and ``label.`` by default) have arrived: ``wait_for_subscription``.
A consumer of stackd's outputs cannot see its own subscription arrive; ``wait_for_output``
receives until the first matching message, which proves it did.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Iterable, List, Optional, Sequence, Set

import zmq

DEFAULT_INPUT_PREFIXES = (b"pred.", b"label.")


def _prefix_of(frame: bytes) -> Optional[bytes]:
    """An XPUB subscription frame is 0x01 + prefix (0x00 + prefix: unsubscribe)."""
    return frame[1:] if frame[:1] == b"\x01" else None


def covers(subscriptions: Iterable[bytes], prefix: bytes) -> bool:
    """True when a message with topic starting with ``prefix`` matches one of ``subscriptions``."""
    return any(prefix.startswith(s) for s in subscriptions)


def wait_for_subscription(socket: zmq.Socket[Any], prefixes: Sequence[bytes] = DEFAULT_INPUT_PREFIXES,
                          timeout: float = 10.0) -> Set[bytes]:
    """Waits on an XPUB ``socket`` until every topic prefix in ``prefixes`` is subscribed.

    Returns the subscriptions received (stackd's ``input.topics``); raises ``TimeoutError``
    after ``timeout`` seconds. Other subscribers' subscriptions count as well.
    """
    if socket.type != zmq.XPUB:
        raise ValueError("wait_for_subscription needs an XPUB socket (a PUB never sees subscriptions)")
    seen: Set[bytes] = set()
    deadline = time.monotonic() + timeout
    while not all(covers(seen, p) for p in prefixes):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not socket.poll(int(remaining * 1000) + 1, zmq.POLLIN):
            missing = [p for p in prefixes if not covers(seen, p)]
            raise TimeoutError(f"no subscription for {missing} within {timeout} s (is stackd connected?)")
        prefix = _prefix_of(socket.recv())
        if prefix is not None:
            seen.add(prefix)
    return seen


def wait_for_output(socket: zmq.Socket[Any], timeout: float = 10.0,
                    probe: Optional[Callable[[], object]] = None) -> List[bytes]:
    """Receives on a SUB ``socket`` until the first message arrives; returns its frames.

    ``probe`` (optional, no arguments) is called before every wait, e.g. to publish one more input
    row: a consumer's subscription travels to stackd asynchronously, so what stackd publishes
    before it arrives is lost to this consumer. Raises ``TimeoutError`` after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        if probe is not None:
            probe()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no message within {timeout} s")
        if socket.poll(int(min(remaining, 0.1) * 1000) + 1, zmq.POLLIN):
            return socket.recv_multipart()
