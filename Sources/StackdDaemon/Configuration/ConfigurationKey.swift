/// One key of the configuration file, described once: the loader parses and range-checks it
/// from this, reload classifies its changes from this, and the JSON Schema and the README table
/// are generated from this. Keeping all of that in one row is what stops them from drifting.
package struct ConfigurationKey {
    package let section: String
    package let name: String
    package let type: ConfigurationValueType
    /// The value used when the file does not set the key; nil: required, or "none".
    package let defaultValue: ConfigurationValue?
    package let required: Bool
    package let reload: ReloadClass
    /// One line for the README table and the schema's description.
    package let doc: String
    /// How the default reads in the README when it is not a plain value (e.g. "none").
    let defaultText: String?
    /// Stores a checked value into the configuration.
    let apply: (inout DaemonConfiguration, ConfigurationValue) -> Void
    /// Reads the key's value back, in the file's terms, to compare two configurations.
    let read: (DaemonConfiguration) -> ConfigurationValue?
    /// A check beyond type and range (e.g. an address's syntax): the problem, or nil.
    let validate: (ConfigurationValue) -> String?

    package var path: String { "\(section).\(name)" }
}
