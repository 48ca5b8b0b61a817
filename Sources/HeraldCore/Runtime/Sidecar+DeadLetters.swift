import HeraldJournal
import Logging

extension DeadLetterRetention {
    init(_ config: DeadLetterConfig) {
        self.init(maxBytes: config.maxBytes, maxAge: config.maxAge)
    }
}

extension Sidecar {
    /// One log line per dead-letter retention pass, with its counts, and the removals counted in
    /// `herald_dead_letters_removed_total{reason}`: retention never removes a letter silently.
    static func reportRetention(logger: Logger, metrics: HeraldMetrics, events: OwnEvents? = nil) -> @Sendable (DeadLetterRetention.Pass) -> Void {
        { pass in
            metrics.countRetention(removedForBytes: pass.removedForBytes, removedForAge: pass.removedForAge)
            if pass.removed > 0 {
                events?.emit("dead_letters.expired", [
                    ("removed_max_age", .number(JSONNumber(Double(pass.removedForAge)))),
                    ("removed_max_bytes", .number(JSONNumber(Double(pass.removedForBytes)))),
                    ("removed_bytes", .number(JSONNumber(Double(pass.bytesRemoved)))),
                ])
            }
            var metadata: Logger.Metadata = [
                "removed_max_bytes": "\(pass.removedForBytes)", "removed_max_age": "\(pass.removedForAge)",
                "removed_bytes": "\(pass.bytesRemoved)", "kept": "\(pass.kept)", "kept_bytes": "\(pass.keptBytes)",
            ]
            if let failure = pass.failure {
                metadata["error"] = "\(failure)"
                logger.warning("dead-letter retention could not finish", metadata: metadata)
            } else if pass.removed > 0 {
                logger.info("dead-letter retention removed letters", metadata: metadata)
            } else {
                logger.debug("dead letters within retention", metadata: metadata)
            }
        }
    }
}
