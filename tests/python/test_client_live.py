"""The Python client package against the real daemon (`.build/debug/stackd`): a publisher that
waits for stackd's subscription with `wait_for_subscription` loses nothing; the ensemble outputs
decoded by the client (binary and JSON) are the average of what was published (the daemon starts
on averaging), for K = 2 and K = 5 classes; the asyncio variant does the same; and a K = 2 run
recorded live replays through `stackd replay` into a backtest report.

Every wait is bounded (no sleeps); each daemon is stopped (SIGTERM, then SIGKILL) at teardown.
"""
import asyncio
import json
import subprocess
import time

import pytest
import zmq
import zmq.asyncio
from jsonschema import Draft202012Validator

from daemon_support import BINARY, DEADLINE, ROOT, Daemon, clean_env, publisher, subscriber
import stackd_client as sc
import stackd_client.aio as sca

MODELS = ["a", "b", "c"]
DAY = 86_400 * 10**9
T0 = 1_735_689_600 * 10**9


def write_config(tmp_path, classes, encoding, record=None, extra="", contributions=False):
    """`stackd run` on loopback ports it picks (found in its log), averaging, no metrics."""
    config = tmp_path / "stackd.toml"
    record_section = (f'[record]\ndirectory = "{record}"\n' if record else "") + extra
    config.write_text(f"""
[models]
names = {json.dumps(MODELS)}
classes = {classes}
[stream]
horizons = [5]
[input]
bind = ["tcp://127.0.0.1:*"]
[output]
bind = ["tcp://127.0.0.1:*"]
encoding = "{encoding}"
contributions = {"true" if contributions else "false"}
[assembly]
deadline_ms = 600000
[metrics]
address = ""
{record_section}""")
    return config


@pytest.fixture
def start(tmp_path, spawn):
    def make(classes, encoding="binary", record=None, extra="", contributions=False):
        return spawn(Daemon, write_config(tmp_path, classes, encoding, record, extra, contributions), metrics=False)

    return make


def connect_to(ctx, d):
    """A publisher to `d` that stackd has subscribed to, and a consumer of `d`'s outputs."""
    pub = publisher(ctx, connect=[d.input])
    assert sc.covers(sc.wait_for_subscription(pub, timeout=DEADLINE), b"pred.")
    return pub, subscriber(ctx, d.output)


def vectors(row, classes):
    """Each model's probabilities for row `row`: seeded by (row, model), summing to 1 exactly
    enough for the daemon's 1e-3 tolerance."""
    out = {}
    for j, model in enumerate(MODELS):
        w = [1 + ((row * 7 + j * 3 + c * 5) % 11) for c in range(classes)]
        out[model] = [x / sum(w) for x in w]
    return out


def publish_row(pub, row, classes, encoding="binary"):
    for model, probs in vectors(row, classes).items():
        pub.send_multipart(sc.encode_prediction(model, "SPX", 5, T0 + row * DAY, row + 1, probs, encoding))


def check_output(out, classes, encoding):
    row = (out["ts"] - T0) // DAY
    expected = [sum(v[c] for v in vectors(row, classes).values()) / len(MODELS) for c in range(classes)]
    assert out["probs"] == pytest.approx(expected, abs=1e-12)
    assert out["class"] == max(range(classes), key=lambda c: (expected[c], -c))
    assert (out["method"], out["model_version"], out["completion"]) == ("average", 0, "complete")
    assert out["models"] == MODELS and out["missing"] == []
    if encoding == "binary":
        assert (out["present_mask"], out["model_count"], out["present_count"]) == (0b111, 3, 3)
    return row


@pytest.mark.parametrize("classes", [2, 5])
@pytest.mark.parametrize("encoding", ["binary", "json"])
def test_outputs_decode_to_the_average_of_what_was_published(start, classes, encoding):
    d = start(classes, encoding)
    ctx = zmq.Context()
    try:
        pub, sub = connect_to(ctx, d)
        # The consumer's subscription reaches stackd asynchronously: publish rows until one arrives.
        rows = iter(range(10_000))
        topic, payload = sc.wait_for_output(sub, timeout=DEADLINE,
                                            probe=lambda: publish_row(pub, next(rows), classes, encoding))
        kind, out = sc.decode(topic, payload, MODELS)
        assert kind == "ensemble" and topic == b"ens.SPX.5"
        first = check_output(out, classes, encoding)
        # From now on nothing is lost: the next 20 rows come back, in order, each the average.
        start_row = next(rows)
        for row in range(start_row, start_row + 20):
            publish_row(pub, row, classes, encoding)
        seen = []
        while len(seen) < 20:
            assert sub.poll(DEADLINE * 1000), f"outputs so far: {seen}"
            topic, payload = sub.recv_multipart()
            row = check_output(sc.decode_ensemble(payload, MODELS), classes, encoding)
            if row >= start_row:
                seen.append(row)
        assert seen == list(range(start_row, start_row + 20))
        assert first < start_row
    finally:
        ctx.destroy(linger=0)


def test_asyncio_variant(start):
    d = start(3, "json")

    async def main():
        ctx = zmq.asyncio.Context()
        try:
            pub = publisher(ctx, connect=[d.input])
            subscribed = await sca.wait_for_subscription(pub, timeout=DEADLINE)
            assert sc.covers(subscribed, b"pred.") and sc.covers(subscribed, b"label.")
            sub = subscriber(ctx, d.output)
            row, end = 0, time.monotonic() + DEADLINE
            while True:
                for model, probs in vectors(row, 3).items():
                    await pub.send_multipart(sc.encode_prediction(model, "SPX", 5, T0 + row * DAY, row + 1, probs))
                row += 1
                try:
                    kind, out = await sca.receive(sub, MODELS, timeout=0.1)
                    break
                except asyncio.TimeoutError:
                    assert time.monotonic() < end, "no output from stackd"
            assert kind == "ensemble"
            check_output(out, 3, "json")
        finally:
            ctx.destroy(linger=0)

    asyncio.run(main())


def test_asyncio_wait_for_subscription_times_out_without_a_peer():
    async def main():
        ctx = zmq.asyncio.Context()
        try:
            pub = publisher(ctx, bind=["tcp://127.0.0.1:*"])
            with pytest.raises(TimeoutError):
                await sca.wait_for_subscription(pub, timeout=0.2)
        finally:
            ctx.destroy(linger=0)

    asyncio.run(main())


def test_two_classes_recorded_live_replay_into_a_report(start, tmp_path):
    """`models.classes = 2`: live outputs and a live retrain, a journal, then `stackd replay
    --report --outputs` (which retrains inline too)."""
    journal = tmp_path / "journal"
    d = start(2, "binary", record=journal,
              extra="[retrain]\nevery_event_times = 1390\nmin_rows = 1000\nwindow_rows = 2000\n[learner]\nkind = \"logistic\"\n")
    ctx = zmq.Context()
    try:
        pub = publisher(ctx, connect=[d.input], linger=2000)  # a burst of 5 600 messages: queued whole
        sc.wait_for_subscription(pub, timeout=DEADLINE)
        sub = subscriber(ctx, d.output, receive_hwm=0)
        rows = 1400  # ~1395 labelled rows: enough (≥ 1000 meta-training rows) to fit a meta-learner
        for row in range(rows):
            publish_row(pub, row, 2)
            if row >= 5:  # row − 5's label, known at this row's time; class alternates
                pub.send_multipart(sc.encode_label("SPX", 5, T0 + (row - 5) * DAY, row - 4, (row - 5) % 2,
                                                   0.01 if (row - 5) % 2 else -0.01, T0 + row * DAY, class_count=2))
        # Every row's output arrived (or its subscription was late): wait for the last row's output.
        end = time.monotonic() + DEADLINE
        last, received = -1, set()
        while last < rows - 1:
            assert sub.poll(max(1, int((end - time.monotonic()) * 1000))), "the last row's output never came"
            out = sc.decode_ensemble(sub.recv_multipart()[1], MODELS)
            assert len(out["probs"]) == 2
            last = (out["ts"] - T0) // DAY
            received.add(last)
            if out["model_version"] == 0:
                check_output(out, 2, "binary")
        # From the first output this consumer saw (its subscription travels asynchronously), none is lost.
        assert received == set(range(min(received), rows)), "every row's output arrived"
        # The live retrain (at event time 1390) of the two-class window ends with a decision, not a crash.
        finished = d.wait_for_line(r"decision=(\w+) .*retrain finished")
        assert finished.group(1) in ("promote", "keep", "fallback"), finished.string
        assert "too few" not in finished.string, "a meta-learner was fitted on the two-class window"
    finally:
        ctx.destroy(linger=0)
    assert d.stop() == 0, "".join(d.lines)

    report, outputs = tmp_path / "report", tmp_path / "outputs.csv"
    done = subprocess.run([str(BINARY), "replay", str(journal), "--config", str(d.config), "--report", str(report),
                           "--outputs", str(outputs), "--quiet"], capture_output=True, text=True, timeout=120,
                          env=clean_env())
    assert done.returncode == 0, done.stderr
    backtest = json.loads((report / "backtest.json").read_text())
    schema = json.loads((ROOT / "schemas" / "backtest.schema.json").read_text())
    Draft202012Validator(schema).validate(backtest)
    assert len(backtest["horizons"][0]["methods"][0]["metrics"]["ece"]) == 2, "one ECE per class"
    horizon = backtest["horizons"][0]
    assert horizon["rows"] == rows - 5, "every label recorded live joined its row in the replay"
    assert horizon["retrains"], "the replay retrained too"
    assert (report / "report.html").stat().st_size > 0
    header = outputs.read_text().splitlines()[1].split(",")
    assert [h for h in header if h.startswith("ensemble_")] == ["ensemble_0", "ensemble_1"]
    assert [h for h in header if h.startswith("base_2_")] == ["base_2_0", "base_2_1"]


@pytest.mark.parametrize("encoding", ["binary", "json"])
def test_outputs_carry_contributions_when_configured(start, encoding):
    """output.contributions = true: each output carries, for its served class, each model's
    share of the averaged probability (p[model][class] / M, wire.md §4.3.1), decoded by the client
    from the daemon's own bytes; with it off (every other test here) outputs have none."""
    d = start(3, encoding, contributions=True)
    ctx = zmq.Context()
    try:
        pub, sub = connect_to(ctx, d)
        rows = iter(range(10_000))
        topic, payload = sc.wait_for_output(sub, timeout=DEADLINE, probe=lambda: publish_row(pub, next(rows), 3, encoding))
        if encoding == "binary":
            assert payload[51] & sc.FLAG_CONTRIBUTIONS
            assert len(payload) == 56 + 8 * 3 + 3 + 4 + 8 * (len(MODELS) + 2)
        else:
            Draft202012Validator(json.loads((ROOT / "schemas" / "ensemble.schema.json").read_text())).validate(
                json.loads(payload))
        out = sc.decode_ensemble(payload, MODELS)
        row = check_output(out, 3, encoding)
        served = out["class"]
        c = out["contributions"]
        assert (c["v"], c["space"], c["class"]) == (1, "probability", served)
        expected = {m: p[served] / len(MODELS) for m, p in vectors(row, 3).items()}
        assert c["models"] == pytest.approx(expected, abs=1e-15)
        assert (c["shared"], c["bias"]) == (0, 0)
        assert sum(c["models"].values()) == pytest.approx(out["probs"][served], abs=1e-12)
    finally:
        ctx.destroy(linger=0)
