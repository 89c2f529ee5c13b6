"""The asyncio variant (``zmq.asyncio``): the same readiness helper and a decoding receiver.

    ctx = zmq.asyncio.Context()
    pub = ctx.socket(zmq.XPUB); pub.connect("tcp://127.0.0.1:5555")
    await wait_for_subscription(pub)
    await pub.send_multipart(encode_prediction(...))
    sub = ctx.socket(zmq.SUB); sub.connect(...); sub.subscribe(b"ens.")
    kind, message = await receive(sub, model_names)
"""
from __future__ import annotations

import asyncio
from typing import Optional, Sequence, Set, Tuple

import zmq
import zmq.asyncio

from .readiness import DEFAULT_INPUT_PREFIXES, _prefix_of, covers
from .wire import Message, decode


async def wait_for_subscription(socket: zmq.asyncio.Socket, prefixes: Sequence[bytes] = DEFAULT_INPUT_PREFIXES,
                                timeout: float = 10.0) -> Set[bytes]:
    """``readiness.wait_for_subscription`` for an asyncio XPUB socket."""
    if socket.type != zmq.XPUB:
        raise ValueError("wait_for_subscription needs an XPUB socket (a PUB never sees subscriptions)")
    seen: Set[bytes] = set()

    async def collect() -> None:
        while not all(covers(seen, p) for p in prefixes):
            prefix = _prefix_of(await socket.recv())
            if prefix is not None:
                seen.add(prefix)

    try:
        await asyncio.wait_for(collect(), timeout)
    except asyncio.TimeoutError:
        missing = [p for p in prefixes if not covers(seen, p)]
        raise TimeoutError(f"no subscription for {missing} within {timeout} s (is stackd connected?)") from None
    return seen


async def receive(socket: zmq.asyncio.Socket, model_names: Optional[Sequence[str]] = None,
                  timeout: Optional[float] = None) -> Tuple[str, Message]:
    """Receives one message and decodes it by topic; returns (message type, message)."""
    frames = await asyncio.wait_for(socket.recv_multipart(), timeout)
    if len(frames) != 2:
        raise ValueError(f"a stackd message has two frames, received {len(frames)}")
    return decode(frames[0], frames[1], model_names)
