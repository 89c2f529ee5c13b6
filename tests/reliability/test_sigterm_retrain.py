"""SIGTERM while a retrain runs, again and again: the daemon drains, stops the training thread
and exits 0 — never a crash (a thread still inside OpenBLAS/XGBoost at exit), never a core.

A window of labelled rows is filled once; every cycle then restarts on it, asks for a retrain
(SIGUSR1), waits for the retrain to be triggered and sends SIGTERM at a different point of the
fit each cycle (`OFFSETS` after the trigger: the logistic fit in OpenBLAS first, then XGBoost,
with `learner.kind = "auto"`; a fit takes about 5 s with the debug build). A cycle in which the
retrain finished before the SIGTERM is not counted as one during a retrain.
"""
import random
import signal
import time

import metric_names as M
from harness import config_text, feed_labelled_rows

MODELS = ["a", "b", "c"]
ROWS = 20_000
WANTED = 5
MAX_CYCLES = 8
# Seconds between the retrain's trigger and the SIGTERM, per cycle: where in the fit it lands.
OFFSETS = [0.0, 0.5, 1.0, 2.0, 3.0, 0.25, 1.5, 0.0]


def test_sigterm_during_retrain_exits_cleanly(workdir, daemons, peers, figures):
    config = workdir / "stackd.toml"
    config.write_text(config_text(workdir, models=MODELS, extra=f"""\
[state]
directory = "{workdir}/state"
flush = "every_rows"
flush_rows = 1000
[retrain]
min_rows = 100
window_rows = {ROWS}
[learner]
kind = "auto"
promotion = "always"
"""))
    daemon = daemons(config)
    daemon.wait_ready()
    p = peers(f"ipc://{workdir}/in.sock", f"ipc://{workdir}/out.sock")
    p.wait_subscribed()
    daemon.wait_metrics(lambda m: m.value(M.OUTPUT_SUBSCRIPTIONS) >= 1, what="the consumer's subscription")
    feed_labelled_rows(p, MODELS, ROWS, random.Random(0x5EED_7E57), 1_000)
    assert daemon.stop(signal.SIGTERM) == M.EXIT_OK, daemon.log[-3000:]

    during, finished_first, crashes, exits = 0, 0, 0, []
    for cycle in range(MAX_CYCLES):
        if during >= WANTED:
            break
        daemon = daemons(config)
        daemon.wait_ready()
        daemon.send_signal(signal.SIGUSR1)
        daemon.wait_metrics(lambda m: m.value(M.RETRAINS_TRIGGERED) >= 1, timeout=30, what="the retrain triggered")
        time.sleep(OFFSETS[cycle])   # placement in the fit, not readiness
        stop_mark = daemon.mark()
        rc = daemon.stop(signal.SIGTERM, timeout=30)
        exits.append(rc)
        finished_before = any(M.LOG_RETRAIN_FINISHED in l for l in daemon.lines[:stop_mark])
        if rc != M.EXIT_OK:
            crashes += 1
        if finished_before:
            finished_first += 1
        else:
            during += 1
        assert rc == M.EXIT_OK, f"cycle {cycle}: exit {rc} (negative: killed by that signal)\n{daemon.log[-3000:]}"
        assert M.LOG_STOPPED_CLEANLY in daemon.log, f"cycle {cycle}\n{daemon.log[-3000:]}"
        assert not (workdir / "core").exists()
    figures.update(sigterm_during_retrain=during, retrain_finished_first=finished_first, crashes=crashes,
                   window_rows=ROWS)
    assert during >= WANTED, f"only {during} SIGTERMs landed during a retrain ({finished_first} after it finished)"
