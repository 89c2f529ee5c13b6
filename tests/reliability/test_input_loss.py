"""Input lost before it reaches the daemon is counted: a publisher that drops at its own
high-water mark (a plain PUB-like XPUB, no back-pressure) bursts predictions faster than the
daemon reads them; each model numbers its predictions 1, 2, 3… (wire.md 6.3).

The truth is the publisher's own count: messages sent − `stackd_messages_received_total` ==
Σ `stackd_input_messages_missed_total` over the models. The burst is closed by sentinel rows
repeated until one comes back as an output (a sentinel dropped too is just one more missed
message), so every drop lies before a later sequence number the daemon saw.
"""
import signal
import struct

import zmq

import metric_names as M
from harness import Deadline, config_text, output_event_time, prediction

MODELS = ["a", "b"]
ROWS = 100_000
HWM = 100


def test_messages_lost_at_the_publisher_are_counted_as_missed(workdir, daemons, peers, figures):
    config = workdir / "stackd.toml"
    text = config_text(workdir, models=MODELS)
    config.write_text(text.replace("[input]\n", f"[input]\nreceive_hwm = {HWM}\n"))
    daemon = daemons(config)
    daemon.wait_ready()
    p = peers(f"ipc://{workdir}/in.sock", f"ipc://{workdir}/out.sock")
    # This publisher drops at its HWM instead of blocking: the loss under test.
    p.publisher.setsockopt(zmq.XPUB_NODROP, 0)
    p.publisher.setsockopt(zmq.SNDHWM, HWM)
    p.wait_subscribed()
    daemon.wait_metrics(lambda m: m.value(M.OUTPUT_SUBSCRIPTIONS) >= 1, what="the consumer's subscription")

    seq = {m: 0 for m in MODELS}
    sent = 0

    def row(ts):
        nonlocal sent
        for m in MODELS:
            seq[m] += 1
            p.send(prediction(m, "SPX", 5, ts, seq[m], [0.2, 0.3, 0.5]))
            sent += 1

    for i in range(ROWS):
        row(1_000 + i)
    ts = 10**7
    deadline = Deadline(60)
    sentinel_seq = None
    while sentinel_seq is None:
        assert not deadline.passed, "no sentinel came back"
        ts += 1
        row(ts)
        wait = Deadline(0.5)
        while sentinel_seq is None and not wait.passed:
            got = p.receive_output(wait.left)
            if got and len(got) == 2 and output_event_time(got[1]) == ts:
                sentinel_seq = struct.unpack_from("<Q", got[1], 24)[0]   # output sequence, wire.md 4.3
        assert daemon.process.poll() is None, daemon.log[-3000:]
    # The scrape that includes the sentinel's output includes every message before it.
    m = daemon.wait_metrics(lambda m: m.value(M.PUBLISHED) >= sentinel_seq + 1, what="the sentinel in the metrics")
    received = m.value(M.MESSAGES_RECEIVED)
    missed = m.total(M.INPUT_MESSAGES_MISSED)
    figures.update(sent=sent, received=int(received), lost=int(sent - received), missed_counted=int(missed))
    assert sent - received > 0, "the burst lost nothing: the test did not exercise a loss"
    assert m.has(M.INPUT_MESSAGES_MISSED), f"{M.INPUT_MESSAGES_MISSED} is not exported"
    assert missed == sent - received, f"lost {sent - received}, counted {missed}"
    rc = daemon.stop(signal.SIGTERM)
    assert rc == M.EXIT_OK, daemon.log[-3000:]

