extension FileTail {
    /// How to follow one file.
    public struct Configuration: Sendable {
        /// The file to follow. It may be absent at start.
        public var path: String
        /// Where a first run starts when the file exists: `.beginning` (default) or `.end`. A file that
        /// appears later, or replaces the checkpoint's file, is always read from its beginning.
        public var startAt: StartPosition
        /// The last committed position; resumed when it names the same file, unchanged before it.
        public var checkpoint: Checkpoint?
        /// The safety poll: how long to wait for an inotify hint before checking the file anyway.
        /// Default 1 s.
        public var pollInterval: Duration
        /// Use inotify as a wake-up hint (default); when false, or when inotify is unavailable, poll alone.
        public var useInotify: Bool
        public var limits: LineLimits

        public init(
            path: String,
            startAt: StartPosition = .beginning,
            checkpoint: Checkpoint? = nil,
            pollInterval: Duration = .seconds(1),
            useInotify: Bool = true,
            limits: LineLimits = LineLimits()
        ) {
            self.path = path
            self.startAt = startAt
            self.checkpoint = checkpoint
            self.pollInterval = pollInterval
            self.useInotify = useInotify
            self.limits = limits
        }
    }

    /// A repositioning of the tail, reported to ``Configuration``'s observer for logs and metrics.
    public struct Notice: Sendable, Equatable {
        public var reason: TailReason
        public var identity: FileIdentity
        /// Offset where reading (re)starts.
        public var offset: Int64
    }
}
