"""Live-socket fuzz: more than 100 000 malformed messages from a pyzmq publisher into the real
daemon (random frames, truncated and extended binary, bad JSON, wrong topics, huge numbers,
multi-frame, semantic errors), then a sentinel valid row.

Every message is counted: `stackd_messages_received_total` equals what was sent on a subscribed
topic, the sum of `stackd_rejected_messages_total` equals the malformed messages sent, each
category whose reason is fixed by schemas/wire.md section 6 is counted under that reason, and the
daemon still serves. Messages on topics the daemon does not subscribe to are filtered by ZeroMQ
at the publisher and must not be counted at all.
"""
import json
import random
import signal

import metric_names as M
from harness import config_text, label, prediction, send_row

SEED = 0x5EED_F022
MESSAGES = 100_000
MODELS = ["a", "b", "c"]
SYMBOL, HORIZON = "SPX", 5
WARM_TS = 1_000
# Per-frame size limit the daemon may enforce at the socket (input.max_payload_bytes + margin):
# oversize payloads stay just above max_payload_bytes so the connection itself is never at stake.
MAX_PAYLOAD = 4096


def _valid_prediction(rng, ts=None, model=None):
    probs = [rng.random() + 0.01 for _ in range(3)]
    s = sum(probs)
    return prediction(model or rng.choice(MODELS), SYMBOL, HORIZON, ts if ts is not None else 10**6 + rng.randrange(10**6),
                      rng.randrange(1, 1000), [p / s for p in probs])


def _json_prediction(**fields):
    body = {"v": 1, "type": "prediction", "model": "a", "symbol": SYMBOL, "horizon": HORIZON, "ts": 10**6, "seq": 1,
            "probs": [0.2, 0.3, 0.5]}
    body.update(fields)
    return json.dumps(body, separators=(",", ":")).encode()


def generate(rng):
    """Yields (category, frames, expected reason or None when several are defensible)."""
    topic_a = f"pred.{SYMBOL}.{HORIZON}.a".encode()
    non_decoder_first = bytes(b for b in range(256) if b not in b"S{ \t\r\n")
    while True:
        kind = rng.randrange(16)
        if kind == 0:      # random payload whose first byte selects no decoder
            payload = bytes([rng.choice(non_decoder_first)]) + rng.randbytes(rng.randrange(0, 200))
            yield "random_payload", [topic_a, payload], "malformed"
        elif kind == 1:    # random topic (still under a subscribed prefix) and random payload
            topic = rng.choice([b"pred.", b"label."]) + rng.randbytes(rng.randrange(0, 40))
            payload = bytes([rng.choice(non_decoder_first)]) + rng.randbytes(rng.randrange(0, 100))
            yield "random_frames", [topic, payload], None
        elif kind == 2:    # empty payload
            yield "empty_payload", [topic_a, b""], "malformed"
        elif kind == 3:    # truncated binary prediction or label
            frames = _valid_prediction(rng) if rng.random() < 0.5 else label(SYMBOL, HORIZON, 10**6, 1, 1)
            frames[1] = frames[1][: rng.randrange(0, len(frames[1]))]
            yield "truncated_binary", frames, "malformed"
        elif kind == 4:    # binary with trailing bytes
            frames = _valid_prediction(rng)
            frames[1] += rng.randbytes(rng.randrange(1, 16))
            yield "extended_binary", frames, "malformed"
        elif kind == 5:    # JSON cut anywhere
            payload = _json_prediction()
            yield "truncated_json", [topic_a, payload[: rng.randrange(1, len(payload))]], "malformed"
        elif kind == 6:    # JSON that is not JSON
            payload = rng.choice([b"{", b"{}}", b'{"v":1,,}', b"{'v':1}", b'{"v":1 "type":"prediction"}',
                                  b'{"v":1,"type":"prediction"} trailing', b"{" * 40 + b"}" * 40,
                                  b'{"v":1,"type":"pred\\nx"}', b'{"v":"1"', b"{\x00}"])
            yield "bad_json", [topic_a, payload], "malformed"
        elif kind == 7:    # wrong topic for a valid payload
            frames = _valid_prediction(rng, model="a")
            frames[0] = rng.choice([b"pred.SPX.5.b", b"pred.QQQ.5.a", b"pred.SPX.6.a", b"pred.SPX.5", b"pred.SPX.5.a.x",
                                    b"label.SPX.5", b"pred.spx.5.a"])
            yield "wrong_topic", frames, "topic_mismatch"
        elif kind == 8:    # huge integers in JSON
            payload = rng.choice([_json_prediction(ts=10**20), _json_prediction(horizon=2**32),
                                  _json_prediction(seq=2**64), _json_prediction(ts=-(10**20)),
                                  _json_prediction().replace(b'"ts":1000000', b'"ts":1.7e18'),
                                  _json_prediction().replace(b'"horizon":5', b'"horizon":5e0')])
            yield "huge_integer", [topic_a, payload], "malformed"
        elif kind == 9:    # huge / non-finite floats in binary
            probs, reason = rng.choice([([float("inf"), 0.0, 0.0], "non_finite"), ([float("nan"), 0.5, 0.5], "non_finite"),
                                        ([0.0, 0.0, float("-inf")], "non_finite"), ([1e300, 0.0, 0.0], "bad_sum"),
                                        ([1e308, 1e308, -1e308], None)])
            yield "huge_float", prediction("a", SYMBOL, HORIZON, 10**6 + rng.randrange(10**6), 1, probs), reason
        elif kind == 10:   # JSON numbers that overflow
            payload = _json_prediction().replace(b"[0.2,0.3,0.5]", rng.choice([b"[1e999,0,0]", b"[NaN,0.5,0.5]",
                                                                                 b"[Infinity,0,0]"]))
            yield "json_non_finite", [topic_a, payload], "non_finite"
        elif kind == 11:   # not two frames
            n = rng.choice([1, 3, 4, 7])
            frames = [topic_a] + [rng.randbytes(rng.randrange(0, 64)) for _ in range(n - 1)]
            if n == 1:
                frames = [rng.choice([topic_a, b"pred.", b"label.SPX.5"])]
            yield "multi_frame", frames, "framing"
        elif kind == 12:   # oversize
            yield "oversize", [topic_a, b"{" + b" " * rng.randrange(MAX_PAYLOAD, MAX_PAYLOAD + 100)], "oversize"
        elif kind == 13:   # a valid layout with one field out of its domain
            which = rng.randrange(8)
            if which == 0:
                f = prediction("a", SYMBOL, HORIZON, 10**6, 1, [0.5, 0.6, 0.5]); r = "bad_sum"
            elif which == 1:
                f = prediction("a", SYMBOL, HORIZON, 10**6, 1, [-0.5, 1.0, 0.5]); r = "negative_probability"
            elif which == 2:
                f = prediction("zz", SYMBOL, HORIZON, 10**6, 1, [0.2, 0.3, 0.5]); r = "unknown_model"
            elif which == 3:
                f = prediction("a", SYMBOL, 7, 10**6, 1, [0.2, 0.3, 0.5]); r = "unknown_horizon"
            elif which == 4:
                f = prediction("a", "QQQ", HORIZON, 10**6, 1, [0.2, 0.3, 0.5]); r = "unknown_symbol"
            elif which == 5:
                f = label(SYMBOL, HORIZON, 10**6, 1, 5); r = "bad_label"
            elif which == 6:
                f = prediction("a", SYMBOL, HORIZON, 10**6, 1, [0.5, 0.5]); r = "wrong_arity"
            else:
                f = prediction("a b", SYMBOL, HORIZON, 10**6, 1, [0.2, 0.3, 0.5]); r = "bad_name"
            yield "out_of_domain", f, r
        elif kind == 14:   # header bytes out of their domain
            f = _valid_prediction(rng)
            b = bytearray(f[1])
            if rng.random() < 0.5:
                b[2] = rng.choice([0, 2, 9, 255]); r = "unsupported_version"
            else:
                b[3] = rng.choice([0, 3, 4, 200]); r = "unknown_kind"
            yield "bad_header", [f[0], bytes(b)], r
        else:              # late: a new row at or below the watermark the warm-up row set
            yield "late", _valid_prediction(rng, ts=rng.randrange(1, WARM_TS + 1), model="a"), "late"


def test_socket_fuzz_counts_every_message(workdir, daemons, peers, figures):
    config = workdir / "stackd.toml"
    config.write_text(config_text(workdir, models=MODELS))
    daemon = daemons(config)
    daemon.wait_ready()
    p = peers(f"ipc://{workdir}/in.sock", f"ipc://{workdir}/out.sock")
    p.wait_subscribed()
    daemon.wait_metrics(lambda m: m.value(M.OUTPUT_SUBSCRIPTIONS) >= 1, what="the consumer's subscription")

    # The warm-up row sets the watermark the `late` messages fall under.
    send_row(p, MODELS, WARM_TS)
    assert p.await_output(WARM_TS), daemon.log[-3000:]
    valid_sent = len(MODELS)

    rng = random.Random(SEED)
    expected = {}
    unknown_reason = 0
    categories = {}
    gen = generate(rng)
    batch = []
    for _ in range(MESSAGES):
        category, frames, reason = next(gen)
        categories[category] = categories.get(category, 0) + 1
        if reason is None:
            unknown_reason += 1
        else:
            expected[reason] = expected.get(reason, 0) + 1
        p.send(frames)
    # Topics no one subscribed to: filtered by ZeroMQ, never counted.
    filtered = 0
    for t in (b"ens.SPX.5", b"alert.drift", b"xyz", b"", b"pre", b"Pred.SPX.5.a"):
        for _ in range(50):
            p.send([t, b"{}"])
            filtered += 1

    sentinel = 10**7
    send_row(p, MODELS, sentinel)
    valid_sent += len(MODELS)
    assert p.await_output(sentinel, timeout=120), f"the daemon does not serve after the fuzz\n{daemon.log[-3000:]}"
    sent_subscribed = MESSAGES + valid_sent
    m = daemon.wait_metrics(lambda m: m.value(M.MESSAGES_RECEIVED) >= sent_subscribed, timeout=30,
                            what=f"{sent_subscribed} messages received")
    rejected = m.by_label(M.REJECTED, "reason")
    total_rejected = sum(rejected.values())
    figures.update(messages=MESSAGES, filtered_topics=filtered, received=int(m.value(M.MESSAGES_RECEIVED)),
                   rejected=int(total_rejected), categories=len(categories),
                   uncounted=int(MESSAGES - total_rejected), alive=daemon.process.poll() is None)

    assert m.value(M.MESSAGES_RECEIVED) == sent_subscribed, "received != sent on subscribed topics"
    assert total_rejected == MESSAGES, f"rejected {total_rejected} of {MESSAGES} malformed messages"
    assert m.value(M.PREDICTIONS_ACCEPTED) == valid_sent
    for reason, n in sorted(expected.items()):
        assert rejected.get(reason, 0) >= n, f"{reason}: counted {rejected.get(reason, 0)}, sent {n}"
    surplus = sum(rejected.get(r, 0) - expected.get(r, 0) for r in rejected)
    assert surplus == unknown_reason, f"messages of undetermined reason: counted {surplus}, sent {unknown_reason}"

    # Still serving after the counts: one more row, then a graceful stop.
    send_row(p, MODELS, sentinel + 1)
    assert p.await_output(sentinel + 1)
    rc = daemon.stop(signal.SIGTERM)
    assert rc == M.EXIT_OK, daemon.log[-3000:]
