"""The /metrics text of a live `stackd run` parses as Prometheus exposition format.

Starts the built binary (`swift build` first: .build/debug/stackd) with a temporary
configuration on an ephemeral metrics port, sends one good and one bad prediction, fetches
/metrics, /healthz and /readyz, parses the text with prometheus_client and checks the families,
their types and a few values. Stops the daemon with SIGTERM and expects exit code 0.
"""

import threading
import urllib.error
import urllib.request

import pytest
import zmq
from prometheus_client.parser import text_string_to_metric_families

from daemon_support import Daemon, publisher
from stackd_client import encode_label, encode_prediction, wait_for_subscription

EXPECTED_TYPES = {
    "stackd_build_info": "gauge",
    "stackd_up": "gauge",
    "stackd_snapshot_age_seconds": "gauge",
    "stackd_messages_received": "counter",
    "stackd_rejected_messages": "counter",
    "stackd_predictions_accepted": "counter",
    "stackd_labels_accepted": "counter",
    "stackd_labels_matched": "counter",
    "stackd_labels_unmatched": "counter",
    "stackd_rows_emitted": "counter",
    "stackd_rows_dropped": "counter",
    "stackd_outputs": "counter",
    "stackd_pending_rows": "gauge",
    "stackd_awaiting_labels": "gauge",
    "stackd_published": "counter",
    "stackd_send_failures": "counter",
    "stackd_emission_latency_seconds": "summary",
    "stackd_emission_latency_max_seconds": "gauge",
    "stackd_output_subscriptions": "gauge",
    "stackd_journal_recording": "gauge",
    "stackd_journal_messages": "counter",
    "stackd_journal_stall_seconds": "counter",
    "stackd_prequential_scored_rows": "counter",
    "stackd_prequential_log_loss": "gauge",
    "stackd_prequential_accuracy_ratio": "gauge",
    "stackd_prequential_brier_score": "gauge",
    "stackd_retrains": "counter",
    "stackd_retrains_triggered": "counter",
    "stackd_model_installs": "counter",
    "stackd_late_model_installs": "counter",
    "stackd_active_model_version": "gauge",
    "stackd_sequence_gaps": "counter",
    "stackd_auth_failures": "counter",
    "stackd_auth_clients_allowed": "gauge",
    "stackd_input_messages_missed": "counter",
    "stackd_input_labels_missed": "counter",
    "stackd_metrics_connections_refused": "counter",
    "stackd_model_files_refused": "counter",
    "stackd_window_blocks_skipped": "counter",
    "stackd_window_rows_lost": "counter",
    "stackd_window_segments_quarantined": "counter",
    "stackd_input_disconnects": "counter",
    "stackd_alerts_published": "counter",
    "stackd_regimes_accepted": "counter",
    "stackd_rows_without_regime": "counter",
    "stackd_regimes_unused": "counter",
    "stackd_input_regimes_missed": "counter",
}


def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


@pytest.fixture
def daemon(tmp_path, spawn):
    config = tmp_path / "stackd.toml"
    config.write_text(f"""
[models]
names = ["a", "b"]
[stream]
horizons = [5, 10]
symbols = ["SPX"]
[input]
bind = ["ipc://{tmp_path}/in.sock"]
[output]
bind = ["ipc://{tmp_path}/out.sock"]
[assembly]
deadline_ms = 600000
[metrics]
address = "127.0.0.1:0"
""")
    return spawn(Daemon, config), tmp_path


def wait_for_readiness(port):
    # The endpoint answers as soon as it listens; readiness follows the loop's first turn.
    for _ in range(500):
        status, _, _ = get(port, "/readyz")
        if status == 200:
            return
        threading.Event().wait(0.02)
    pytest.fail("/readyz never became 200")


def test_metrics_text_parses_with_expected_families_and_types(daemon):
    daemon, tmp_path = daemon
    port = daemon.metrics_port
    wait_for_readiness(port)
    assert get(port, "/healthz")[0] == 200
    assert get(port, "/nope")[0] == 404

    ctx = zmq.Context()
    pub = publisher(ctx, connect=[f"ipc://{tmp_path}/in.sock"], linger=1000)
    wait_for_subscription(pub, timeout=10)  # the daemon's "pred." and "label.": no slow-joiner loss
    # a: seq 1 then 5 (2, 3, 4 never sent: missed 3); b: one refused message (its probabilities
    # sum to 0.9; seq 1, no gap); labels: seq 1 then 3 (one missed).
    pub.send_multipart(encode_prediction("a", "SPX", 5, 1000, 1, [0.2, 0.3, 0.5], encoding="json"))
    pub.send_multipart(encode_prediction("b", "SPX", 5, 1000, 1, [0.3, 0.3, 0.3], encoding="json"))
    pub.send_multipart(encode_prediction("a", "SPX", 5, 2000, 5, [0.2, 0.3, 0.5], encoding="json"))
    pub.send_multipart(encode_label("SPX", 5, 500, 1, 2, 0.01, encoding="json"))
    pub.send_multipart(encode_label("SPX", 5, 600, 3, 2, 0.01, encoding="json"))

    families = {}
    for _ in range(500):
        status, content_type, text = get(port, "/metrics")
        assert status == 200
        assert content_type.startswith("text/plain; version=0.0.4")
        families = {f.name: f for f in text_string_to_metric_families(text)}
        received = families["stackd_messages_received"].samples[0].value
        if received == 5:
            break
        threading.Event().wait(0.02)
    pub.close()
    ctx.term()

    for name, kind in EXPECTED_TYPES.items():
        assert name in families, f"missing family {name}"
        assert families[name].type == kind, f"{name}: {families[name].type} != {kind}"
        assert families[name].documentation, f"{name} has no HELP"
    assert all(n.startswith("stackd_") for n in families)

    def value(family, sample_name, **labels):
        for s in families[family].samples:
            if s.name == sample_name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
        raise AssertionError(f"no sample {sample_name}{labels}")

    assert value("stackd_messages_received", "stackd_messages_received_total") == 5
    assert value("stackd_rejected_messages", "stackd_rejected_messages_total", reason="bad_sum") == 1
    assert value("stackd_predictions_accepted", "stackd_predictions_accepted_total") == 2
    assert value("stackd_pending_rows", "stackd_pending_rows") == 2
    assert value("stackd_input_messages_missed", "stackd_input_messages_missed_total", model="a") == 3
    assert value("stackd_input_messages_missed", "stackd_input_messages_missed_total", model="b") == 0
    assert value("stackd_sequence_gaps", "stackd_sequence_gaps_total") == 1
    assert value("stackd_input_labels_missed", "stackd_input_labels_missed_total") == 1
    assert value("stackd_metrics_connections_refused", "stackd_metrics_connections_refused_total") == 0
    assert families["stackd_build_info"].samples[0].labels["version"]
    assert {s.labels["horizon"] for s in families["stackd_outputs"].samples} == {"5", "10"}
    quantiles = {s.labels["quantile"] for s in families["stackd_emission_latency_seconds"].samples if "quantile" in s.labels}
    assert quantiles == {"0.5", "0.99", "0.999"}
    reasons = {s.labels["reason"] for s in families["stackd_rejected_messages"].samples}
    assert {"bad_sum", "malformed", "framing", "duplicate", "late"} <= reasons

    assert daemon.stop() == 0
