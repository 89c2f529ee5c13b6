"""A flood with a consumer that stops reading: memory stays bounded and every output is either
delivered or counted as a send failure.

The consumer's socket holds at most a few hundred messages; the daemon's output high-water mark
is 1000. While the consumer does not read, outputs beyond that must be refused by the output
socket and counted (`stackd_send_failures_total`), never queued without bound nor dropped
silently: outputs emitted == published + failures, and once the consumer reads again it receives
exactly the published ones.
"""
import signal
import time

import metric_names as M
from harness import Deadline, config_text, send_row

MODELS = ["a", "b"]
ROWS = 100_000
# Growth of the daemon's resident memory allowed over its level before the flood. The queues the
# configuration bounds (receive 10 000 messages, send 1000 outputs, 1000 rows awaiting labels)
# take a few MiB; 8–20 MiB of growth were measured with the debug build (allocator arenas of the
# threads, libzmq's queue chunks). The sharp checks are the counts below; this one catches a
# queue or buffer that grows with the flood (oversize frames buffered whole grew RSS by 145 MB).
RSS_GROWTH_LIMIT_KIB = 48 * 1024


def test_flood_with_slow_consumer_counts_every_drop(workdir, daemons, peers, figures):
    config = workdir / "stackd.toml"
    text = config_text(workdir, models=MODELS)
    text = text.replace("[input]\n", "[input]\nreceive_hwm = 10000\n").replace("[output]\n", "[output]\nsend_hwm = 1000\n")
    # Emitted rows wait for their labels in a preallocated ring that fills (and is touched) as
    # rows are emitted: kept small so that what the test bounds is the queues, not that ring.
    text += "[labels]\nmax_awaiting = 1000\n"
    config.write_text(text)
    daemon = daemons(config)
    daemon.wait_ready()
    p = peers(f"ipc://{workdir}/in.sock", f"ipc://{workdir}/out.sock", consumer_hwm=100)
    p.wait_subscribed()
    daemon.wait_metrics(lambda m: m.value(M.OUTPUT_SUBSCRIPTIONS) >= 1, what="the consumer's subscription")
    send_row(p, MODELS, 1)
    assert p.await_output(1), daemon.log[-3000:]
    baseline = daemon.vm_rss_kib()
    peak = baseline

    # The consumer stops reading; the flood.
    for i in range(ROWS):
        send_row(p, MODELS, 2 + i)
        if i % 2000 == 0:
            peak = max(peak, daemon.vm_rss_kib() or 0)
    emitted_expected = ROWS + 1
    deadline = Deadline(180)
    m = None
    while not deadline.passed:
        peak = max(peak, daemon.vm_rss_kib() or 0)
        m = daemon.metrics()
        if m.total(M.ROWS_EMITTED) >= emitted_expected:
            break
        assert daemon.process.poll() is None, daemon.log[-3000:]
        time.sleep(0.1)
    # The snapshot behind /metrics is refreshed every 100 ms: wait for published + failures to
    # have caught up with the outputs of that same scrape.
    m = daemon.wait_metrics(lambda m: m.total(M.ROWS_EMITTED) >= emitted_expected
                            and m.total(M.OUTPUTS) == m.value(M.PUBLISHED) + m.total(M.SEND_FAILURES),
                            timeout=30, what="outputs == published + send failures")
    outputs = m.total(M.OUTPUTS)
    published = m.value(M.PUBLISHED)
    failures = m.total(M.SEND_FAILURES)
    peak = max(peak, daemon.vm_rss_kib() or 0)

    # The consumer reads again: it receives exactly what was published (the first output included).
    received = 1
    drain = Deadline(60)
    while received < published and not drain.passed:
        if p.receive_output(min(drain.left, 5)) is None:
            break
        received += 1
    extra = p.receive_output(0.2)

    figures.update(rows=ROWS, outputs=int(outputs), published=int(published), send_failures=int(failures),
                   consumer_received=received, rss_baseline_mib=round(baseline / 1024, 1),
                   rss_peak_mib=round(peak / 1024, 1))
    assert outputs == emitted_expected
    assert failures > 0, "a consumer that does not read must cost counted send failures"
    assert failures == m.value(M.SEND_FAILURES, reason="hwm"), "the failures are high-water-mark refusals"
    assert received == published and extra is None, f"consumer received {received}, published {published}"
    assert peak - baseline < RSS_GROWTH_LIMIT_KIB, f"RSS grew {peak - baseline} KiB during the flood"
    assert daemon.process.poll() is None
    rc = daemon.stop(signal.SIGTERM)
    assert rc == M.EXIT_OK, daemon.log[-3000:]
