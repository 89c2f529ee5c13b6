/// What a changed key does to a running daemon on reload (SIGHUP).
package enum ReloadClass: String, Sendable, CaseIterable {
    /// Applied at once, without dropping or reordering a message.
    case live = "applied live"
    /// Logged; the running value stays until the next start.
    case restart = "needs restart"
    /// Cannot change under a running daemon's state (models, classes, horizons, the state
    /// directory): the whole reload is refused and the running configuration kept.
    case refused = "refuses the reload"
}
