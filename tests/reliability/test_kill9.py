"""`kill -9` under load, many times over one state directory: no acknowledged labelled row is ever
lost, nothing is invented, and the window log stays valid.

A row is *acknowledged* (state.flush = "every_row") once the daemon processed its label, which the
test learns from a later sentinel row's output: one ingest thread processes messages in order, so
that output arriving proves every label sent before it was appended to the window.
"""
import random
import re
import signal

import metric_names as M
from harness import config_text, label, send_row

CYCLES = 10
MODELS = ["a", "b"]


def _restored(daemon, round_):
    line = daemon.wait_line(M.LOG_RESTORED_WINDOW, 60)
    assert line is not None, f"round {round_}: no restore line; exit={daemon.wait_exit(1)}\n{daemon.log[-3000:]}"
    m = re.search(r"rows=h5=(\d+)", line)
    assert m, line
    return int(m.group(1)), line


def test_kill9_under_load_loses_no_acknowledged_row(workdir, daemons, peers, figures):
    config = workdir / "stackd.toml"
    config.write_text(config_text(workdir, models=MODELS, extra=f"""\
[state]
directory = "{workdir}/state"
flush = "every_row"
"""))
    rng = random.Random(0x5EED_0010)
    ts = 1_000
    acknowledged = 0
    sent_labels = 0
    losses = 0
    kills = 0
    for round_ in range(CYCLES):
        daemon = daemons(config)
        restored, line = _restored(daemon, round_)
        assert "corruption" not in line
        losses += max(0, acknowledged - restored)
        assert restored >= acknowledged, f"round {round_}: {acknowledged - restored} acknowledged rows lost"
        assert restored <= sent_labels, f"round {round_}: {restored} rows restored, only {sent_labels} labelled"
        acknowledged = restored
        daemon.wait_ready()
        p = peers(f"ipc://{workdir}/in.sock", f"ipc://{workdir}/out.sock")
        p.wait_subscribed()
        daemon.wait_metrics(lambda m: m.value(M.OUTPUT_SUBSCRIPTIONS) >= 1, what="the consumer's subscription")

        # Batches of 20 rows with the labels of the previous batch, each closed by a sentinel row
        # whose output acknowledges the batch's labels; the last batch is killed in flight.
        batches = 3 + rng.randrange(6)
        previous = []
        for b in range(batches):
            rows = []
            for _ in range(20):
                ts += 1
                rows.append(ts)
                send_row(p, MODELS, ts, probs=(0.2, 0.3, 0.5))
            for t in previous:
                p.send(label("SPX", 5, t, 0, rng.randrange(3), exit_ts=ts))
            sent_labels += len(previous)
            labelled = len(previous)
            previous = rows
            ts += 1
            send_row(p, MODELS, ts)
            if b == batches - 1:
                break
            assert p.await_output(ts), f"round {round_}: sentinel output\n{daemon.log[-3000:]}"
            acknowledged += labelled
        daemon.send_signal(signal.SIGKILL)
        rc = daemon.wait_exit(30)
        assert rc == -signal.SIGKILL, f"round {round_}: exit {rc}"
        kills += 1
        daemon.kill()

    # A last clean start: the log is valid and holds everything acknowledged; SIGTERM exits 0.
    daemon = daemons(config)
    restored, line = _restored(daemon, "final")
    losses += max(0, acknowledged - restored)
    figures.update(kill9_cycles=kills, labels_sent=sent_labels, acknowledged=acknowledged, restored=restored,
                   acknowledged_rows_lost=losses)
    assert restored >= acknowledged > 0
    assert "corruption" not in line
    daemon.wait_ready()
    rc = daemon.stop(signal.SIGTERM)
    assert rc == M.EXIT_OK, daemon.log[-3000:]
    assert kills >= CYCLES
