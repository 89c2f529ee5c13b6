import Logging
import StackdCore

/// Every key of the configuration file, in the order of the README table. Parsing, range checks,
/// reload classification, `schemas/config.schema.json` and the README's configuration table all
/// come from this list (a test regenerates the last two and compares).
package enum ConfigurationKeys {
    /// Printable ASCII without space, `"`, `.` or `\`, 1–64 bytes: the wire's name rule.
    static let namePattern = "^[\\x21\\x23-\\x2D\\x2F-\\x5B\\x5D-\\x7E]{1,64}$"
    /// 100 years: an event time of this century plus any duration key stays inside Int64 nanoseconds.
    static let maxSeconds = 3_153_600_000.0
    static let maxDays = 36_500.0

    package static var all: [ConfigurationKey] {
        [
            strings("models", "names", pattern: namePattern, default: nil, required: true, .refused,
                    "base model names (1–64 printable ASCII bytes, no `.`); features use them in alphabetical order",
                    get: { $0.pipeline.models }, set: { $0.pipeline.models = $1.sorted() }),
            int("models", "classes", 2...16, default: 3, .refused, "number of classes K; 3 = short, neutral, long",
                get: { $0.pipeline.classCount }, set: { $0.pipeline.classCount = $1 }),
            ints("stream", "horizons", 1...Int(UInt32.max), required: true, .refused, "accepted horizons, in bars",
                 get: { $0.pipeline.horizons }, set: { $0.pipeline.horizons = $1 }),
            strings("stream", "symbols", pattern: namePattern, default: [], required: false, .restart,
                    "accepted symbols; empty accepts any symbol up to `max_symbols`",
                    get: { $0.pipeline.symbols }, set: { $0.pipeline.symbols = $1 }),
            int("stream", "max_symbols", 1...1_000_000, default: 4096, .restart,
                "symbol table capacity (memory is preallocated per symbol × horizon); at least the number of `symbols`",
                get: { $0.pipeline.maxSymbols }, set: { $0.pipeline.maxSymbols = $1 }),
            strings("input", "connect", pattern: nil, default: [], required: false, .restart,
                    "endpoints the subscriber connects to (`tcp://HOST:PORT`, `ipc://PATH`, `inproc://NAME`); connect or bind at least one",
                    get: { $0.input.connect }, set: { $0.input.connect = $1 }),
            strings("input", "bind", pattern: nil, default: [], required: false, .restart,
                    "endpoints the subscriber binds; a non-loopback `tcp://` needs `security.curve` or `security.allow_plaintext_remote`",
                    get: { $0.input.bind }, set: { $0.input.bind = $1 }),
            strings("input", "topics", pattern: nil, default: ["pred.", "label."], required: false, .restart,
                    "topic prefixes subscribed to",
                    get: { $0.input.topics }, set: { $0.input.topics = $1 }),
            int("input", "receive_hwm", 0...Int(Int32.max), default: 1_000_000, .restart, "ZeroMQ receive high-water mark, in messages",
                get: { $0.input.receiveHighWaterMark }, set: { $0.input.receiveHighWaterMark = $1 }),
            int("input", "max_payload_bytes", 64...(1 << 24), default: 4096, .restart, "larger payloads are rejected (`oversize`)",
                get: { $0.pipeline.maxPayloadBytes }, set: { $0.pipeline.maxPayloadBytes = $1 }),
            int("ingest", "shards", 1...64, default: 1, .restart,
                "pipelines on their own threads, each owning the symbols `fmix64(FNV-1a-64(symbol)) mod shards`; outputs equal those of 1 (per symbol, in order); above 1: one training window and one model per horizon, trained once on the pipelines' merged rows and installed by every pipeline at the same event time; retraining only by `retrain.every_event_times` (no `every_labels`, `every_event_seconds`, `monitoring.retrain_on_alert`, `learner.challengers`), `[state]` off; `[record]` is written by the one receive thread in arrival order and needs `retrain.every_event_times = 0` (bench/SCALING.md §5)",
                get: { $0.ingestShards }, set: { $0.ingestShards = $1 }),
            strings("output", "bind", pattern: nil, default: [], required: false, .restart,
                    "endpoints the output publisher binds; bind or connect at least one",
                    get: { $0.output.bind }, set: { $0.output.bind = $1 }),
            strings("output", "connect", pattern: nil, default: [], required: false, .restart,
                    "endpoints the output publisher connects to",
                    get: { $0.output.connect }, set: { $0.output.connect = $1 }),
            choice("output", "encoding", default: PayloadEncoding.binary, .restart, "`binary` (fast path, no JSON) or `json`",
                   get: { $0.output.encoding }, set: { $0.output.encoding = $1 }),
            int("output", "send_hwm", 0...Int(Int32.max), default: 1_000_000, .restart,
                "a subscriber slower than this many messages loses messages; ingest never waits",
                get: { $0.output.sendHighWaterMark }, set: { $0.output.sendHighWaterMark = $1 }),
            bool("output", "contributions", default: false, .restart,
                 "every output also carries each base model's contribution to its served class (binary: `flags` bit 1 and a block after the symbol; JSON: `contributions`; [`schemas/wire.md`](schemas/wire.md) §4.3.1); off, outputs are exactly version 1 without the block and ingest does no extra work",
                 get: { $0.pipeline.contributions }, set: { $0.pipeline.contributions = $1 }),
            duration("assembly", "deadline_ms", 0...3_600_000, .milliseconds, default: 50, .restart,
                     "a row is emitted when all models arrived, or this long after its first arrival with the models present",
                     get: { $0.pipeline.deadlineNanoseconds }, set: { $0.pipeline.deadlineNanoseconds = $1 }),
            int("assembly", "min_models", 1...64, default: 1, .restart, "fewer models than this at the deadline: the row is dropped (counted)",
                get: { $0.pipeline.minModels }, set: { $0.pipeline.minModels = $1 }),
            int("assembly", "max_pending_rows", 1...10_000_000, default: 65_536, .restart,
                "rows under assembly; when full, the oldest row is forced out (`evicted`)",
                get: { $0.pipeline.maxPendingRows }, set: { $0.pipeline.maxPendingRows = $1 }),
            number("assembly", "sum_tolerance", 0...0.5, default: 1e-3, .restart, "largest accepted \\|Σp − 1\\|",
                   get: { $0.pipeline.sumTolerance }, set: { $0.pipeline.sumTolerance = $1 }),
            int("labels", "max_awaiting", 0...100_000_000, default: 262_144, .restart,
                "emitted rows kept for their label; the oldest unlabelled row is dropped when full",
                get: { $0.pipeline.maxAwaitingLabels }, set: { $0.pipeline.maxAwaitingLabels = $1 }),
            int("retrain", "every_event_times", 0...100_000_000, default: 0, .restart,
                "retrain when the event clock has passed this many distinct event times (walk-forward); 0 off",
                get: { $0.retrain.everyEventTimes }, set: { $0.retrain.everyEventTimes = $1 }),
            int("retrain", "every_labels", 0...100_000_000, default: 0, .restart, "retrain after this many new labelled rows; 0 off",
                get: { $0.retrain.everyLabels }, set: { $0.retrain.everyLabels = $1 }),
            duration("retrain", "every_event_seconds", 0...maxSeconds, .seconds, default: 0, .restart,
                     "retrain when event time has moved this far since the last retrain; 0 off",
                     get: { $0.retrain.everyEventTime }, set: { $0.retrain.everyEventTime = $1 }),
            int("retrain", "min_rows", 10...100_000_000, default: 2000, .restart, "no retrain before the window holds this many labelled rows",
                get: { $0.retrain.minRows }, set: { $0.retrain.minRows = $1 }),
            duration("retrain", "apply_delay_seconds", 0...maxSeconds, .seconds, default: 0, .restart,
                     "a new model applies to rows this much event time after its trigger",
                     get: { $0.retrain.applyDelay }, set: { $0.retrain.applyDelay = $1 }),
            int("retrain", "window_rows", 100...100_000_000, default: 100_000, .restart,
                "the out-of-sample window a retrain learns from, in rows per horizon; held twice in memory (double-buffered, so a retrain request never pauses ingest to copy it)",
                get: { $0.retrain.windowRows }, set: { $0.retrain.windowRows = $1 }),
            duration("retrain", "window_age_days", 0...maxDays, .days, default: 0, .restart,
                     "event-time age bound of the window; 0 none",
                     get: { $0.retrain.windowAge }, set: { $0.retrain.windowAge = $1 }),
            choice("learner", "kind", default: LearnerKind.logistic, .restart,
                   "a registered meta-learner (`logistic`: C = `logistic_c`, or from a grid when that is 0; `xgboost`: depth, trees and learning rate from a grid; `mlp`: one hidden layer, α from a grid and iterations by early stopping; all chosen on the newest meta-train rows; `blend`: simplex weights over the models and the class prior) or `auto` (all of them, the best on validation)",
                   get: { $0.learner.kind }, set: { $0.learner.kind = $1 }),
            choice("learner", "metric", default: LearnerMetric.logLoss, .restart, "promotion metric: `log_loss`, `f1`, `sharpe`, `brier`",
                   get: { $0.learner.metric }, set: { $0.learner.metric = $1 }),
            choice("learner", "features", default: LearnerFeatures.extended, .restart,
                   "`basic` (M·K probabilities), `extended` (all stacking features, with the regimes of `regimes.names`: the reference's ext+regime) or `all` (also recent skill: needs `features.skill_window`)",
                   get: { $0.learner.features }, set: { $0.learner.features = $1 }),
            number("learner", "validation_fraction", 0.05...0.5, default: 0.2, .restart,
                   "newest share of the window held out (purged) to judge candidates",
                   get: { $0.learner.validationFraction }, set: { $0.learner.validationFraction = $1 }),
            int("learner", "validation_folds", 1...4, default: 1, .restart,
                "rolling-origin folds the gate judges on: 1 the newest `validation_fraction` slice; F > 1 also fits each candidate on the purged past of the F − 1 older slices and judges candidates and baselines on all F slices' out-of-sample rows (a learned champion against the candidate on the newest slice only); F fits per candidate per retrain; at most what `validation_fraction` allows (1/fraction − 1)",
                get: { $0.learner.validationFolds }, set: { $0.learner.validationFolds = $1 }),
            choice("learner", "promotion", default: PromotionRule.gated, .restart,
                   "`gated` (beat averaging, best single, class prior and champion, then served refitted on the window; else keep the champion while it beats every baseline, or serve the best of averaging, prior, their blend and the best single model) or `always` (walk-forward research)",
                   get: { $0.learner.promotion }, set: { $0.learner.promotion = $1 }),
            number("learner", "c", 0...1e6, default: 0, .restart, "logistic inverse regularisation (fixing it also fixes the tree shape by sample size); 0 chooses both from grids on the newest meta-train rows",
                   get: { $0.learner.c }, set: { $0.learner.c = $1 }),
            number("learner", "logistic_c", 0...1e6, default: DaemonConfiguration.defaultLogisticC, .restart,
                   "the logistic learner's inverse regularisation C, fitted as given (XGBoost and the MLP keep their grids; `c` > 0 overrides it); 0 chooses C from the grid on the newest meta-train rows",
                   get: { $0.learner.logisticC }, set: { $0.learner.logisticC = $1 }),
            number("learner", "min_improvement_z", 0...100, default: 2, .restart,
                   "with `log_loss`, a candidate must beat averaging by this many standard errors of the per-row gain (guards against promoting noise); 0 any margin",
                   get: { $0.learner.minImprovementZ }, set: { $0.learner.minImprovementZ = $1 }),
            choice("learner", "calibration", default: LearnerCalibration.none, .restart,
                   "`none`; `temperature`: each learner is also tried with its output temperature-scaled (T fitted on the validation rows, judged cross-fitted over their two time halves, served only if it wins; on oos-daily it lost out of sample, hence off by default); `isotonic`: the same with per-class isotonic maps (scikit-learn's one-vs-rest isotonic calibration, renormalised), recorded in `meta_config.json` (`calibration.class_maps`)",
                   get: { $0.learner.calibration }, set: { $0.learner.calibration = $1 }),
            bool("learner", "diverse_selection", default: false, .restart,
                 "each gated retrain (`promotion = \"gated\"`) runs the greedy diverse model selection on its meta-train rows (never the validation rows) and the meta-learners see only the selected base models (the others' own columns zeroed in fit and prediction; the cross-model columns still span every model); the selection is recorded in `meta_config.json` (`selected_models`) and `diversity_analysis.json` (`applied_selection`); baselines and the champion still see every model (a challenger of the same learner is that candidate's restricted fit)",
                 get: { $0.learner.diverseSelection }, set: { $0.learner.diverseSelection = $1 }),
            bool("learner", "mix_best_single", default: DaemonConfiguration.defaultMixBestSingle, .restart,
                 "each learner is also tried mixed with the best single model, w·learner + (1 − w)·best single, w fitted on the validation rows (judged cross-fitted over their two time halves, served only if it beats every baseline and the champion; recorded in `meta_config.json` → `best_single_mixture`)",
                 get: { $0.learner.mixBestSingle }, set: { $0.learner.mixBestSingle = $1 }),
            strings("learner", "challengers", pattern: nil, default: [], required: false, .restart,
                    "registered meta-learners (e.g. `[\"xgboost\", \"mlp\"]`) fitted at every retrain on the candidates' rows and scored prequentially on live rows from the served model's apply time, never served nor published (metrics `stackd_challenger_*`, report `challengers`); empty: none",
                    validate: ChallengerNames.problem,
                    get: { $0.learner.challengers }, set: { $0.learner.challengers = $1 }),
            int("learner", "challenger_min_rows", 0...1_000_000, default: 0, .restart,
                "N > 0: a challenger replaces the champion only after beating its log-loss over the challenger's last N live labelled rows (and the gate's baselines on validation), and a challenger's learner is never promoted by the gate alone; 0: challengers are only observed",
                get: { $0.learner.challengerMinRows }, set: { $0.learner.challengerMinRows = $1 }),
            int("features", "skill_window", 0...1_000_000, default: 0, .restart,
                "recent per-model skill as stacking features: each model's log-loss over its last N labelled rows (known at emission); 0 off",
                get: { $0.pipeline.skillWindow }, set: { $0.pipeline.skillWindow = $1 }),
            strings("regimes", "names", pattern: namePattern, default: [], required: false, .refused,
                    "regime values each (symbol, event time) receives on `regime.<symbol>` (wire order, at most 16; the input then also subscribes to `regime.`); stacking features after the cross-model ones, and a row waits for its regime like for a model; empty: no regimes",
                    get: { $0.pipeline.regimeNames }, set: { $0.pipeline.regimeNames = $1 }),
            optionalString("state", "directory", .refused,
                           "durable window and model store; created if absent when its parent exists; absent keeps state in memory",
                           get: { $0.stateDirectory }, set: { $0.stateDirectory = $1 }),
            choice("state", "flush", default: StateFlushMode.everyRow, .restart,
                   "`every_row`, `every_rows` (`state.flush_rows`), `interval` (`state.flush_interval_ms`): what `kill -9` may lose, of the window and of the emitted rows awaiting their label ([`schemas/awaiting-log.md`](schemas/awaiting-log.md)); state files are 0600, directories 0700",
                   get: { $0.stateFlush }, set: { $0.stateFlush = $1 }),
            int("state", "flush_rows", 1...1_000_000, default: 100, .restart, "rows per flush with `flush = \"every_rows\"`",
                get: { $0.stateFlushRows }, set: { $0.stateFlushRows = $1 }),
            number("state", "flush_interval_ms", 1...3_600_000, default: 100, .restart, "flush interval with `flush = \"interval\"`",
                   get: { $0.stateFlushIntervalMilliseconds }, set: { $0.stateFlushIntervalMilliseconds = $1 }),
            choice("state", "sync", default: StateSyncMode.none, .restart, "`every_flush` also fsyncs (survives power loss, costs latency)",
                   get: { $0.stateSync }, set: { $0.stateSync = $1 }),
            optionalString("record", "directory", .restart,
                           "journal every inbound message here, for `stackd replay`; created if absent when its parent exists",
                           get: { $0.recordDirectory }, set: { $0.recordDirectory = $1 }),
            bool("record", "compress", default: true, .restart,
                 "LZ4-compress the journal; `false` stores blocks as they are: 2–4× the disk, recording no faster on the benchmark VM, replay 7 % fewer instructions (bench/RESULTS §5e, §6d)",
                 get: { $0.recordCompress }, set: { $0.recordCompress = $1 }),
            bool("monitoring", "enabled", default: true, .restart, "drift and calibration monitors",
                 get: { $0.monitoring.enabled }, set: { $0.monitoring.enabled = $1 }),
            bool("monitoring", "retrain_on_alert", default: false, .restart,
                 "a drift alarm requests a retrain (at most once per `monitoring.retrain_min_labels` labels)",
                 get: { $0.monitoring.retrainOnAlert }, set: { $0.monitoring.retrainOnAlert = $1 }),
            int("monitoring", "retrain_min_labels", 1...100_000_000, default: 500, .restart,
                "new labels per horizon between two alarm-requested retrains",
                get: { $0.monitoring.retrainMinLabels }, set: { $0.monitoring.retrainMinLabels = $1 }),
            choice("log", "level", default: Logger.Level.info, .live, "`trace`, `debug`, `info`, `notice`, `warning`, `error`, `critical`",
                   get: { $0.logLevel }, set: { $0.logLevel = $1 }),
            int("log", "rejects_per_second", 0...1_000_000, default: 5, .live,
                "reject log lines per reason per second; the rest are summarised (counters stay exact)",
                get: { $0.rejectLogPerSecond }, set: { $0.rejectLogPerSecond = $1 }),
            string("metrics", "address", default: "127.0.0.1:9464", .restart,
                   "HTTP endpoint for `/metrics`, `/healthz`, `/readyz` (`IPv4:PORT`, `[IPv6]:PORT`, `localhost:PORT`; port 0 picks one); `\"\"` disables",
                   validate: { $0.isEmpty || MetricsAddress($0) != nil ? nil : MetricsAddress.formatHelp },
                   get: { $0.metricsAddress }, set: { $0.metricsAddress = $1 }),
            int("memory", "max_preallocated_mb", 16...1_048_576, default: 2048, .restart,
                "refuse a configuration whose preallocated and bounded buffers (assembly, awaiting labels, windows, skill) would exceed this many MiB",
                get: { $0.maxPreallocatedMegabytes }, set: { $0.maxPreallocatedMegabytes = $1 }),
            bool("security", "curve", default: false, .restart,
                 "ZeroMQ CURVE on the input and output sockets, which must then bind (peers connect; `connect` endpoints are refused); needs `secret_key_file` and `client_keys_directory`",
                 get: { $0.security.curve }, set: { $0.security.curve = $1 }),
            optionalString("security", "secret_key_file", .restart, "the server's secret key file (`stackd keygen`; format in schemas/curve-keys.md), mode 0600; must exist",
                           get: { $0.security.secretKeyFile }, set: { $0.security.secretKeyFile = $1 }),
            optionalString("security", "client_keys_directory", .restart,
                           "allow-list: one client public key per `*.key` file (schemas/curve-keys.md); must exist; its contents are re-read on reload (SIGHUP)",
                           get: { $0.security.clientKeysDirectory }, set: { $0.security.clientKeysDirectory = $1 }),
            bool("security", "allow_plaintext_remote", default: false, .restart,
                 "accept a non-loopback `tcp://` endpoint (`*`, `0.0.0.0`, any address outside 127.0.0.0/8 and ::1) without CURVE",
                 get: { $0.security.allowPlaintextRemote }, set: { $0.security.allowPlaintextRemote = $1 }),
        ]
    }

    /// Keys by section, in table order.
    package static var sections: [(name: String, keys: [ConfigurationKey])] {
        var order: [String] = []
        var bySection: [String: [ConfigurationKey]] = [:]
        for key in all {
            if bySection[key.section] == nil { order.append(key.section) }
            bySection[key.section, default: []].append(key)
        }
        return order.map { ($0, bySection[$0] ?? []) }
    }

    package static func key(_ path: String) -> ConfigurationKey? { all.first { $0.path == path } }

    // MARK: - Row builders, one per value type

    private static func never(_: ConfigurationValue) -> String? { nil }

    static func int(_ section: String, _ name: String, _ range: ClosedRange<Int>, default d: Int, _ reload: ReloadClass, _ doc: String,
                    get: @escaping (DaemonConfiguration) -> Int, set: @escaping (inout DaemonConfiguration, Int) -> Void) -> ConfigurationKey {
        ConfigurationKey(section: section, name: name, type: .integer(range), defaultValue: .integer(d), required: false, reload: reload,
                         doc: doc, defaultText: nil,
                         apply: { c, v in if case .integer(let i) = v { set(&c, i) } },
                         read: { .integer(get($0)) }, validate: never)
    }

    static func number(_ section: String, _ name: String, _ range: ClosedRange<Double>, default d: Double, _ reload: ReloadClass, _ doc: String,
                       get: @escaping (DaemonConfiguration) -> Double, set: @escaping (inout DaemonConfiguration, Double) -> Void) -> ConfigurationKey {
        ConfigurationKey(section: section, name: name, type: .number(range), defaultValue: .number(d), required: false, reload: reload,
                         doc: doc, defaultText: nil,
                         apply: { c, v in if case .number(let x) = v { set(&c, x) } },
                         read: { .number(get($0)) }, validate: never)
    }

    /// The value is stored as Int64 nanoseconds; the loader has checked it converts exactly.
    static func duration(_ section: String, _ name: String, _ range: ClosedRange<Double>, _ unit: DurationUnit, default d: Double,
                         _ reload: ReloadClass, _ doc: String,
                         get: @escaping (DaemonConfiguration) -> Int64, set: @escaping (inout DaemonConfiguration, Int64) -> Void) -> ConfigurationKey {
        ConfigurationKey(section: section, name: name, type: .duration(range, unit), defaultValue: .number(d), required: false, reload: reload,
                         doc: doc, defaultText: nil,
                         apply: { c, v in
                             if case .number(let x) = v, let ns = DurationConversion.nanoseconds(x, unit) { set(&c, ns) }
                         },
                         read: { .number(Double(get($0)) / unit.nanoseconds) }, validate: never)
    }

    static func bool(_ section: String, _ name: String, default d: Bool, _ reload: ReloadClass, _ doc: String,
                     get: @escaping (DaemonConfiguration) -> Bool, set: @escaping (inout DaemonConfiguration, Bool) -> Void) -> ConfigurationKey {
        ConfigurationKey(section: section, name: name, type: .boolean, defaultValue: .boolean(d), required: false, reload: reload,
                         doc: doc, defaultText: nil,
                         apply: { c, v in if case .boolean(let b) = v { set(&c, b) } },
                         read: { .boolean(get($0)) }, validate: never)
    }

    static func string(_ section: String, _ name: String, default d: String, _ reload: ReloadClass, _ doc: String,
                       validate: @escaping (String) -> String?,
                       get: @escaping (DaemonConfiguration) -> String, set: @escaping (inout DaemonConfiguration, String) -> Void) -> ConfigurationKey {
        ConfigurationKey(section: section, name: name, type: .string, defaultValue: .string(d), required: false, reload: reload,
                         doc: doc, defaultText: nil,
                         apply: { c, v in if case .string(let s) = v { set(&c, s) } },
                         read: { .string(get($0)) },
                         validate: { v in if case .string(let s) = v { return validate(s) }; return nil })
    }

    /// A path with no default: absent means the feature is off.
    static func optionalString(_ section: String, _ name: String, _ reload: ReloadClass, _ doc: String,
                               get: @escaping (DaemonConfiguration) -> String?,
                               set: @escaping (inout DaemonConfiguration, String?) -> Void) -> ConfigurationKey {
        ConfigurationKey(section: section, name: name, type: .string, defaultValue: nil, required: false, reload: reload,
                         doc: doc, defaultText: "none",
                         apply: { c, v in if case .string(let s) = v { set(&c, s) } },
                         read: { get($0).map(ConfigurationValue.string) },
                         validate: { v in if case .string(let s) = v, s.isEmpty { return "must not be empty (leave the key out instead)" }; return nil })
    }

    static func choice<Choice: RawRepresentable & CaseIterable>(
        _ section: String, _ name: String, default d: Choice, _ reload: ReloadClass, _ doc: String,
        get: @escaping (DaemonConfiguration) -> Choice, set: @escaping (inout DaemonConfiguration, Choice) -> Void
    ) -> ConfigurationKey where Choice.RawValue == String {
        ConfigurationKey(section: section, name: name, type: .choice(Choice.allCases.map(\.rawValue)), defaultValue: .string(d.rawValue),
                         required: false, reload: reload, doc: doc, defaultText: nil,
                         apply: { c, v in if case .string(let s) = v, let choice = Choice(rawValue: s) { set(&c, choice) } },
                         read: { .string(get($0).rawValue) }, validate: never)
    }

    /// `validate` checks the whole list beyond the item pattern (e.g. names a registry knows).
    static func strings(_ section: String, _ name: String, pattern: String?, default d: [String]?, required: Bool, _ reload: ReloadClass,
                        _ doc: String, validate: @escaping (ConfigurationValue) -> String? = { _ in nil },
                        get: @escaping (DaemonConfiguration) -> [String],
                        set: @escaping (inout DaemonConfiguration, [String]) -> Void) -> ConfigurationKey {
        ConfigurationKey(section: section, name: name, type: .strings(itemPattern: pattern), defaultValue: d.map(ConfigurationValue.strings),
                         required: required, reload: reload, doc: doc, defaultText: required ? "required" : nil,
                         apply: { c, v in if case .strings(let a) = v { set(&c, a) } },
                         read: { .strings(get($0)) }, validate: validate)
    }

    static func ints(_ section: String, _ name: String, _ itemRange: ClosedRange<Int>, required: Bool, _ reload: ReloadClass, _ doc: String,
                     get: @escaping (DaemonConfiguration) -> [Int], set: @escaping (inout DaemonConfiguration, [Int]) -> Void) -> ConfigurationKey {
        ConfigurationKey(section: section, name: name, type: .integers(itemRange), defaultValue: nil, required: required, reload: reload,
                         doc: doc, defaultText: required ? "required" : nil,
                         apply: { c, v in if case .integers(let a) = v { set(&c, a) } },
                         read: { .integers(get($0)) }, validate: never)
    }
}
