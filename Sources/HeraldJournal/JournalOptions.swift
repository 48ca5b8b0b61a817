/// How a `Journal` sizes its files and batches its writes. Defaults suit a sidecar on one host.
public struct JournalOptions: Sendable {
    /// Size budget: `hasRoom()` turns false when the segments reach it (default 1 GiB).
    public var maxBytes: Int64
    /// A segment is sealed and a new one started past this size (default 64 MiB). Capped at a
    /// quarter of `maxBytes` so that settling deliveries can always free space.
    public var segmentBytes: Int64
    /// Upper bound on the bytes written by one `write` + `fdatasync` (default 4 MiB); a single
    /// `append` larger than this is written alone.
    public var maxBatchBytes: Int
    /// How long the writer waits for more appenders to join a batch when fewer than the last
    /// batch's number of callers are waiting (default 1 ms). A lone appender never waits.
    public var maxBatchDelay: Duration
    /// The oldest sealed segment is compacted (its live deliveries re-appended at the head, the
    /// file deleted) when it holds at most this many live deliveries (default 64)…
    public var compactionMaxLive: Int
    /// …and their records take at most this fraction of the segment (default 0.25).
    public var compactionMaxLiveFraction: Double

    /// Whether ``JournalRecovery/deliveries`` lists the pending deliveries in full (default true,
    /// for tools and tests). The sidecar sets it false: it queues ``JournalRecovery/pending``
    /// and reads each delivery back before its turn, so a large backlog is not held in memory.
    public var recoverPayloads = true
    /// How many of the last enqueued delivery ids recovery remembers, settled or not
    /// (``JournalRecovery/recentEnqueued``): a client that resends after a lost answer is told
    /// apart from new events across a restart. 0 keeps none.
    public var recentEnqueuedIDs = 0

    /// Where recovery copies a damaged segment before it reads past the damage (default: a
    /// `quarantine` folder beside the journal's). Never deleted by Herald.
    public var quarantineDirectory: String?

    /// Bytes kept beside the journal that count toward `maxBytes` (the sidecar passes the dead
    /// letters' `bytesStored`); read on the writer thread each time it publishes its stats.
    public var countedBeside: (@Sendable () -> Int64)? = nil

    /// Free filesystem bytes kept for settlement records: below it, ``Journal/hasRoom()`` is
    /// false (new deliveries wait) while acks and dead records still go in. Default: an eighth
    /// of the filesystem, at most 8 MiB.
    public var diskReserve: Int64?

    /// Hears about every failed write or sync of a batch, read-back call and dead-letter batch, once
    /// each (not once per caller or delivery), with the error marked with its
    /// ``JournalError/operation``; called on the writer thread, so it must be quick. The sidecar
    /// counts them in `herald_io_errors_total`.
    public var onIOError: (@Sendable (JournalError) -> Void)? = nil

    /// Test hook: called before each batch write with its size; a non-nil errno makes the
    /// writer write half the batch and then fail with that errno, as a full disk would.
    var injectWriteFailure: (@Sendable (Int) -> Int32?)? = nil
    /// Test hook: called before each batch's fdatasync; a non-nil errno fails the sync with it.
    var injectSyncFailure: (@Sendable () -> Int32?)? = nil
    /// Test hook: called before each delivery is read back; a non-nil errno fails that read.
    var injectReadFailure: (@Sendable () -> Int32?)? = nil

    public init(
        maxBytes: Int64 = 1 << 30,
        segmentBytes: Int64 = 64 << 20,
        maxBatchBytes: Int = 4 << 20,
        maxBatchDelay: Duration = .milliseconds(1),
        compactionMaxLive: Int = 64,
        compactionMaxLiveFraction: Double = 0.25
    ) {
        self.maxBytes = maxBytes
        self.segmentBytes = segmentBytes
        self.maxBatchBytes = maxBatchBytes
        self.maxBatchDelay = maxBatchDelay
        self.compactionMaxLive = compactionMaxLive
        self.compactionMaxLiveFraction = compactionMaxLiveFraction
    }

    /// Capped at 1 GiB so that offsets inside a segment fit the index's 32 bits.
    var effectiveSegmentBytes: Int64 {
        max(4096, min(segmentBytes, maxBytes / 4, 1 << 30))
    }
}
