extension Sidecar {
    /// The intervals of the sidecar's timed services. Not in the config file: the defaults suit
    /// production, and tests inject shorter ones.
    public struct Timing: Sendable {
        /// How often `watch: true` looks at the config file; a change applies after two looks. An
        /// inotify hint on the config's directory makes the first look immediate.
        public var configWatchInterval: Duration = .milliseconds(500)
        /// How often the journal and source-lag gauges are sampled.
        public var metricsInterval: Duration = .seconds(1)
        /// How often the replay spool is looked at when inotify cannot watch it; with inotify a
        /// request is picked up as soon as its file is renamed into place.
        public var replayFallbackInterval: Duration = .seconds(5)
        /// How often dead-letter retention looks for letters past `dead_letters.max_age` (adding
        /// letters runs it too). A look with nothing to remove reads no file.
        public var deadLetterRetentionInterval: Duration = .seconds(60)

        public init() {}
    }
}
