"""SIGHUP for each reload class, the daemon serving an output after every reload:

* applied live (`log.level`): logged as applied, and the new level really filters the log;
* needs a restart (`input.receive_hwm`): logged naming the key as needing a restart;
* refused (`models.names` changed; a file with an error): logged as refused, and the running
  configuration is kept whole — none of the file's other changes apply either.
"""
import signal

import metric_names as M
from harness import config_text, prediction, send_row

MODELS = ["a", "b"]
# A payload whose first byte is neither 'S' nor '{': rejected as malformed, logged as a warning.
BAD = [b"pred.SPX.5.a", b"x-not-a-message"]


def _reload(daemon, config, text):
    mark = daemon.mark()
    config.write_text(text)
    daemon.send_signal(signal.SIGHUP)
    line = daemon.wait_line(lambda l: M.LOG_RELOAD in l, 30, start=mark)
    assert line is not None, f"no reload line\n{daemon.log[-3000:]}"
    # The reload is over once /readyz answers 200 again.
    daemon.wait_ready(timeout=30)
    return mark


def _lines_after(daemon, mark):
    return daemon.lines[mark:]


def _serves(daemon, p, ts):
    send_row(p, MODELS, ts)
    assert p.await_output(ts), f"no output for ts={ts} after the reload\n{daemon.log[-3000:]}"


def _rejected_line_after(daemon, p, ts, mark, expected):
    """Sends a malformed message then a sentinel row; True if a 'rejected message' line was logged.

    The ingest thread writes the reject's line before it publishes the sentinel's output, so once
    the output is here the line is in the pipe: a present line is waited for (bounded), an absent
    one is given a second for the pipe's reader to catch up."""
    p.send(BAD)
    _serves(daemon, p, ts)
    return daemon.wait_line(M.LOG_REJECTED_MESSAGE, 10 if expected else 1, start=mark) is not None


def test_reload_classes_keep_serving(workdir, daemons, peers, figures):
    config = workdir / "stackd.toml"
    base = lambda **kw: config_text(workdir, models=kw.pop("models", MODELS), **kw)  # noqa: E731
    config.write_text(base(level="info"))
    daemon = daemons(config)
    daemon.wait_ready()
    p = peers(f"ipc://{workdir}/in.sock", f"ipc://{workdir}/out.sock")
    p.wait_subscribed()
    daemon.wait_metrics(lambda m: m.value(M.OUTPUT_SUBSCRIPTIONS) >= 1, what="the consumer's subscription")
    ts = 1_000
    reloads = 0

    figures.update(reloads=0)

    # 1. Applied live: info -> error. The change is logged as applied; a reject (a warning) is then
    #    no longer logged, although it is still counted.
    mark = _reload(daemon, config, base(level="error"))
    reloads += 1
    figures.update(reloads=reloads)
    assert daemon.wait_line(lambda l: "log.level" in l and any(w in l for w in M.RELOAD_APPLIED_WORDS), 10, start=mark), \
        "\n".join(_lines_after(daemon, mark))
    ts += 1
    mark = daemon.mark()
    assert not _rejected_line_after(daemon, p, ts, mark, False), "log.level = error still logs warnings"
    m = daemon.wait_metrics(lambda m: m.value(M.REJECTED, reason="malformed") >= 1, what="the reject counted")
    assert m.value(M.REJECTED, reason="malformed") == 1

    # ...and back to info: rejects are logged again.
    _reload(daemon, config, base(level="info"))
    reloads += 1
    figures.update(reloads=reloads)
    ts += 1
    mark = daemon.mark()
    assert _rejected_line_after(daemon, p, ts, mark, True), "log.level = info does not log warnings"

    # 2. Needs a restart: input.receive_hwm. Logged naming the key; the daemon keeps serving.
    mark = _reload(daemon, config, base(level="info").replace("[input]\n", "[input]\nreceive_hwm = 5000\n"))
    reloads += 1
    figures.update(reloads=reloads)
    assert daemon.wait_line(lambda l: "input.receive_hwm" in l and any(w in l for w in M.RELOAD_RESTART_WORDS), 10,
                            start=mark), "\n".join(_lines_after(daemon, mark))
    ts += 1
    _serves(daemon, p, ts)

    # 3. Refused: models.names changed (with log.level = error in the same file). The reload is
    #    refused as a whole: the models stay a, b (a row of a and b is complete) and warnings are
    #    still logged (the file's log.level did not apply).
    mark = _reload(daemon, config, base(level="error", models=["a", "b", "c"]))
    reloads += 1
    figures.update(reloads=reloads)
    assert daemon.wait_line(lambda l: any(w in l for w in M.RELOAD_REFUSED_WORDS), 10, start=mark), \
        "\n".join(_lines_after(daemon, mark))
    assert daemon.wait_line("models.names", 10, start=mark), "\n".join(_lines_after(daemon, mark))
    ts += 1
    mark = daemon.mark()
    assert _rejected_line_after(daemon, p, ts, mark, True), "a refused reload changed log.level"
    m = daemon.wait_metrics(lambda m: True)
    before_unknown = m.value(M.REJECTED, reason="unknown_model")
    p.send(prediction("c", "SPX", 5, ts + 1, 0, [0.2, 0.3, 0.5]))
    ts += 2
    _serves(daemon, p, ts)
    daemon.wait_metrics(lambda m: m.value(M.REJECTED, reason="unknown_model") == before_unknown + 1,
                        what="model c still unknown after the refused reload")

    # 4. Refused: a file with an error (and a log.level change that must not apply either).
    mark = _reload(daemon, config, base(level="error") + "\n[assembly2]\nx = 1\n")
    reloads += 1
    figures.update(reloads=reloads)
    assert daemon.wait_line(lambda l: any(w in l for w in M.RELOAD_REFUSED_WORDS), 10, start=mark), \
        "\n".join(_lines_after(daemon, mark))
    assert daemon.wait_line("assembly2", 10, start=mark), "the error is named\n" + "\n".join(_lines_after(daemon, mark))
    ts += 1
    mark = daemon.mark()
    assert _rejected_line_after(daemon, p, ts, mark, True), "a refused reload changed log.level"

    # 5. The original file again: accepted, still serving; SIGTERM exits 0.
    _reload(daemon, config, base(level="info"))
    reloads += 1
    figures.update(reloads=reloads)
    ts += 1
    _serves(daemon, p, ts)
    assert daemon.process.poll() is None
    rc = daemon.stop(signal.SIGTERM)
    figures.update(reloads=reloads, outputs_checked=ts - 1_000)
    assert rc == M.EXIT_OK, daemon.log[-3000:]
