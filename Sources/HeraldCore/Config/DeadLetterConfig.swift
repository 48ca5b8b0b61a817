import HeraldJournal

/// Dead-letter retention (`dead_letters:`): how much and how long `state_dir/dead/` keeps.
public struct DeadLetterConfig: Sendable, Equatable {
    /// Space the letters may take on disk; the oldest are removed past it. They count toward
    /// `journal.max_bytes` too, so this is at most half of it.
    public var maxBytes: Int64
    /// Letters older than this are removed.
    public var maxAge: Duration

    /// The store's own defaults: one place says what they are.
    public static let defaultMaxBytes = DeadLetterRetention.defaultMaxBytes
    public static let defaultMaxAge = DeadLetterRetention.defaultMaxAge

    public init(maxBytes: Int64 = Self.defaultMaxBytes, maxAge: Duration = Self.defaultMaxAge) {
        self.maxBytes = maxBytes
        self.maxAge = maxAge
    }

    /// The default for a journal budget: 256MiB, or a quarter of a smaller `journal.max_bytes`,
    /// so that letters alone can never fill the budget and stop the journal.
    public static func defaultMaxBytes(journalMaxBytes: Int64) -> Int64 {
        min(defaultMaxBytes, journalMaxBytes / 4)
    }
}
