/// The configuration `stackd demo` runs with when given none: the same format as a file
/// (and the same text as `examples/stackd.toml`, checked by a test), so the demo exercises
/// the real loader.
public enum EmbeddedConfiguration {
    public static let demo = """
    # stackd demo configuration: four base models, four horizons, any symbol.
    [models]
    names = ["lgbm", "logreg", "mlp", "xgb"]
    classes = 3

    [stream]
    horizons = [5, 10, 15, 20]
    symbols = []            # empty: accept any symbol (up to max_symbols)
    max_symbols = 4096

    [input]
    bind = ["tcp://127.0.0.1:5555"]
    connect = []
    topics = ["pred.", "label."]
    receive_hwm = 1000000
    max_payload_bytes = 4096

    [output]
    bind = ["tcp://127.0.0.1:5556"]
    encoding = "json"       # "binary" is the fast path; "json" is easiest to read
    send_hwm = 1000000

    [assembly]
    deadline_ms = 50        # emit with the models present 50 ms after a row's first arrival
    min_models = 2          # ...if at least this many arrived; otherwise drop (counted)
    max_pending_rows = 65536
    sum_tolerance = 0.001

    [labels]
    max_awaiting = 262144

    [retrain]
    every_event_times = 250 # retrain each horizon every 250 distinct event times...
    min_rows = 2000         # ...once 2000 labelled rows exist
    window_rows = 20000     # the window a retrain learns from (newest rows)

    [learner]
    kind = "logistic"       # "logistic", "xgboost" or "auto"
    metric = "log_loss"     # a candidate must beat averaging, the best single model and the champion on it
    features = "extended"
    promotion = "gated"

    [log]
    level = "info"
    rejects_per_second = 5

    """
}
