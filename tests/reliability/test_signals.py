"""Signals an operator (or the kernel) may send that must not take the daemon down without a drain,
and restarts with `[record] directory` set (a restart under `Restart=on-failure` must not loop)."""
import signal

import metric_names as M
from harness import config_text, run_binary, send_row


def _serving(daemon, peers, ts):
    send_row(peers, ["a", "b"], ts)
    return peers.await_output(ts, daemon=daemon)


def test_stray_signals_neither_kill_nor_stop(workdir, daemons, peers, figures):
    """SIGPIPE, SIGUSR2 and SIGALRM (default action: terminate) are ignored or handled: the daemon
    keeps serving after each, and SIGTERM still ends it with a drain, exit 0."""
    config = workdir / "stackd.toml"
    # A long assembly deadline: the half row at the end is still pending when SIGTERM arrives.
    config.write_text(config_text(workdir, deadline_ms=600_000))
    daemon = daemons(config)
    daemon.wait_ready()
    p = peers(f"ipc://{workdir}/in.sock", f"ipc://{workdir}/out.sock")
    p.wait_subscribed()
    daemon.wait_metrics(lambda m: m.value(M.OUTPUT_SUBSCRIPTIONS) >= 1, what="the consumer's subscription")
    ts = 1_000
    survived = []
    for sig in (signal.SIGPIPE, signal.SIGUSR2, signal.SIGALRM, signal.SIGPIPE, signal.SIGUSR2, signal.SIGALRM):
        daemon.send_signal(sig)
        ts += 1
        figures.update(last_signal=sig.name)
        assert _serving(daemon, p, ts), f"no output after {sig.name}; exit={daemon.process.poll()}\n{daemon.log[-3000:]}"
        assert daemon.process.poll() is None, f"{sig.name} ended the daemon"
        assert daemon.http("/readyz")[0] == 200
        survived.append(sig.name)
    # A row half assembled at the stop is drained, so the stop is the graceful one.
    send_row(p, ["a"], ts + 1)
    daemon.wait_metrics(lambda m: m.value(M.PENDING_ROWS) == 1, what="one pending row")
    rc = daemon.stop(signal.SIGTERM)
    figures.update(signals_sent=len(survived), killed=0 if rc == 0 else 1)
    assert rc == M.EXIT_OK, daemon.log[-3000:]
    assert M.LOG_STOPPED_CLEANLY in daemon.log
    assert p.await_output(ts + 1), "the pending row was drained to the consumer"


def test_restart_with_record_directory(workdir, daemons, peers, figures):
    """start, stop, start, stop with the same `[record] directory`: every start serves, every stop
    exits 0, and the directory still replays."""
    config = workdir / "stackd.toml"
    config.write_text(config_text(workdir, extra=f'[record]\ndirectory = "{workdir}/journal"\n'))
    ts = 1_000
    starts = 0
    for round_ in range(3):
        daemon = daemons(config)
        figures.update(starts=starts)
        daemon.wait_ready()
        p = peers(f"ipc://{workdir}/in.sock", f"ipc://{workdir}/out.sock")
        p.wait_subscribed()
        daemon.wait_metrics(lambda m: m.value(M.OUTPUT_SUBSCRIPTIONS) >= 1, what="the consumer's subscription")
        for _ in range(5):
            ts += 1
            assert _serving(daemon, p, ts), f"round {round_}: no output\n{daemon.log[-3000:]}"
        rc = daemon.stop(signal.SIGTERM)
        assert rc == M.EXIT_OK, f"round {round_}: exit {rc}\n{daemon.log[-3000:]}"
        starts += 1
    figures.update(starts=starts)
    rc, out, err = run_binary(["replay", str(workdir / "journal"), "--config", str(config)])
    assert rc == 0, f"replay of the recorded directory failed ({rc}):\n{out}\n{err[-3000:]}"
