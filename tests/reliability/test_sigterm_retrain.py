"""SIGTERM while a retrain runs, again and again: the daemon drains, stops the training thread
and exits 0 — never a crash (a thread still inside OpenBLAS/XGBoost at exit), never a core.

A window of labelled rows is filled once and one retrain is run to its end to learn how long a
fit takes (D; about 5 s with the debug build, `learner.kind = "auto"`: the logistic fit in
OpenBLAS, then XGBoost). Every cycle then restarts on that window, asks for a retrain (SIGUSR1),
waits for it to be triggered and sends SIGTERM at a different point of the fit (`FRACTIONS` of D
after the trigger). A cycle in which the retrain finished before the SIGTERM is not counted as
one during a retrain.
"""
import random
import re
import signal
import time

import metric_names as M
from harness import config_text, feed_labelled_rows

MODELS = ["a", "b", "c"]
ROWS = 20_000
WANTED = 8
MAX_CYCLES = 12
# Time between the retrain's trigger and the SIGTERM, per cycle, as a fraction of a whole fit.
FRACTIONS = [0.0, 0.1, 0.25, 0.4, 0.55, 0.05, 0.15, 0.3, 0.0, 0.2, 0.45, 0.35]


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
    daemon.send_signal(signal.SIGUSR1)
    finished = daemon.wait_line(M.LOG_RETRAIN_FINISHED, 180)
    assert finished, f"the measuring retrain did not finish\n{daemon.log[-3000:]}"
    fit_seconds = float(re.search(r"seconds=([0-9.]+)", finished).group(1))
    assert daemon.stop(signal.SIGTERM) == M.EXIT_OK, daemon.log[-3000:]

    during, finished_first, problems, exits = 0, 0, [], []
    for cycle in range(MAX_CYCLES):
        if during >= WANTED:
            break
        daemon = daemons(config)
        daemon.wait_ready()
        daemon.send_signal(signal.SIGUSR1)
        daemon.wait_metrics(lambda m: m.value(M.RETRAINS_TRIGGERED) >= 1, timeout=30, what="the retrain triggered")
        time.sleep(FRACTIONS[cycle] * fit_seconds)   # placement in the fit, not readiness
        stop_mark = daemon.mark()
        rc = daemon.stop(signal.SIGTERM, timeout=30)
        exits.append(rc)
        if any(M.LOG_RETRAIN_FINISHED in l for l in daemon.lines[:stop_mark]):
            finished_first += 1
        else:
            during += 1
        # Every cycle runs, so the figures say how many crashed; the assertions come at the end.
        if rc != M.EXIT_OK:
            problems.append(f"cycle {cycle}: exit {rc} (negative: killed by that signal)\n{daemon.log[-1500:]}")
        elif M.LOG_STOPPED_CLEANLY not in daemon.log:
            problems.append(f"cycle {cycle}: no '{M.LOG_STOPPED_CLEANLY}'\n{daemon.log[-1500:]}")
        if (workdir / "core").exists():
            problems.append(f"cycle {cycle}: a core file")
        figures.update(sigterm_during_retrain=during, retrain_finished_first=finished_first,
                       crashes=sum(1 for rc in exits if rc is None or rc < 0),
                       nonzero_exits=sum(1 for rc in exits if rc != 0), window_rows=ROWS,
                       fit_seconds=round(fit_seconds, 2))
    assert not problems, "\n".join(problems)
    assert during >= WANTED, f"only {during} SIGTERMs landed during a retrain ({finished_first} after it finished)"
