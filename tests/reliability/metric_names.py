"""Every metric, log line and exit code the reliability suite relies on, in one place.

The suite is written against the operator contract of README.md ("Metrics and health",
"Commands") and schemas/*.md. When a name changes there, change it here only.
"""

# Counters and gauges (Prometheus names as served on /metrics).
MESSAGES_RECEIVED = "stackd_messages_received_total"
REJECTED = "stackd_rejected_messages_total"                 # label reason
PREDICTIONS_ACCEPTED = "stackd_predictions_accepted_total"
LABELS_ACCEPTED = "stackd_labels_accepted_total"
ROWS_EMITTED = "stackd_rows_emitted_total"                  # label completion
OUTPUTS = "stackd_outputs_total"                            # label horizon
PUBLISHED = "stackd_published_total"
SEND_FAILURES = "stackd_send_failures_total"                # label reason = hwm | error
OUTPUT_SUBSCRIPTIONS = "stackd_output_subscriptions"
PENDING_ROWS = "stackd_pending_rows"
RETRAINS_TRIGGERED = "stackd_retrains_triggered_total"
RETRAINS_FINISHED = "stackd_retrains_total"                 # label decision
WINDOW_BLOCKS_SKIPPED = "stackd_window_blocks_skipped_total"
WINDOW_ROWS_LOST = "stackd_window_rows_lost_total"
MODEL_FILES_REFUSED = "stackd_model_files_refused_total"    # label reason
INPUT_MESSAGES_MISSED = "stackd_input_messages_missed_total"  # label model
ACTIVE_MODEL_VERSION = "stackd_active_model_version"        # label horizon

# Log lines (substrings of one stderr line).
LOG_METRICS_LISTENING = "metrics endpoint listening"        # metadata address=HOST:PORT
LOG_RUNNING = "stackd is running"
LOG_RESTORED_WINDOW = "restored the out-of-sample window"   # metadata rows=h5=N
LOG_RESTORED_MODEL = "restored the served model"
LOG_STOPPED_CLEANLY = "stopped cleanly"
LOG_RELOADED = "configuration reloaded"
LOG_RETRAIN_FINISHED = "retrain finished"
LOG_MODEL_PERSISTED = "model persisted"
LOG_JOURNAL_DAMAGE = "journal damage skipped"
LOG_REJECTED_MESSAGE = "rejected message"                  # one reject, a warning
LOG_RELOAD = "reload"                                       # any line of a reload's outcome
# A reload outcome names its class: applied live, needs a restart, refused.
RELOAD_APPLIED_WORDS = ("applied",)
RELOAD_RESTART_WORDS = ("restart",)
RELOAD_REFUSED_WORDS = ("refused",)
# A start-up line about a damaged window (torn tail, corruption, skipped block).
WINDOW_DAMAGE_WORDS = ("corruption", "torn", "skipped")
# A start-up line about a refused model file.
MODEL_REFUSED_WORDS = ("refus", "falling back")

# Exit codes.
EXIT_OK = 0
EXIT_CONFIG = 78   # EX_CONFIG: the configuration was refused
