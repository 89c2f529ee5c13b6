import StackdTraining

/// Checks `learner.challengers` at load: every name a registered meta-learner, none twice, so a
/// typo is refused with the list of valid names instead of silently observing nothing.
enum ChallengerNames {
    static func problem(_ value: ConfigurationValue) -> String? {
        guard case .strings(let names) = value else { return nil }
        var seen = Set<String>()
        for name in names {
            guard MetaLearnerRegistry.learner(named: name) != nil else {
                return "\"\(name)\" is not a registered meta-learner (registered: \(MetaLearnerRegistry.names.joined(separator: ", ")))"
            }
            guard seen.insert(name).inserted else { return "\"\(name)\" is listed twice" }
        }
        return nil
    }
}
