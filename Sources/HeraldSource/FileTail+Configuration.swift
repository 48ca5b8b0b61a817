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

    /// What the tail reports to its observer, for logs and metrics.
    public enum Notice: Sendable, Equatable {
        /// A file was opened, or the open one rewound, for `reason`; reading starts at `offset`.
        case positioned(TailReason, FileIdentity, offset: Int64)
        /// The path names no (regular) file and none is open: waiting for one. Reported once per absence.
        case waitingForFile
        /// The checkpoint's file could not be found any more (deleted, moved out of the directory or
        /// compressed before it was read to its end): its unread lines are lost. Reported once.
        case lost(LostFile)
    }
}
