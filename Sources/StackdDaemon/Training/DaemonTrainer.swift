import StackdCore

/// Builds the retrain function the daemon and replay use, from the `[learner]` configuration.
public enum DaemonTrainer {
    /// Nil when no retrain is scheduled (the ensemble stays on averaging).
    public static func make(configuration: DaemonConfiguration) -> TrainingFunction? {
        // Wired to StackdTraining's chronological protocol (MetaTrainer) when that module lands.
        nil
    }
}
