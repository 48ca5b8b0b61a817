/// Where a segment stopped being readable, and why.
public struct TornTail: Sendable, Equatable, CustomStringConvertible {
    /// Segment file name, e.g. `segment-00000003.log`.
    public var segment: String
    /// Byte offset of the first record that could not be read.
    public var offset: Int64
    public var reason: String

    public var description: String { "\(segment) at byte \(offset): \(reason)" }
}

/// What `Journal.open` found on disk.
public struct JournalRecovery: Sendable {
    /// Every unsettled delivery, as the dispatcher queues it (no payload: it is read back before
    /// its turn), in read order: by enqueue time, then position.
    public var pending: [RecoveredDelivery]
    /// The same deliveries in full, in the same order, with their current attempt state; empty
    /// unless ``JournalOptions/recoverPayloads`` is set.
    public var deliveries: [PendingDelivery]
    /// The torn record at which the last segment was truncated (a crash mid-write), if any.
    public var truncatedTail: TornTail?
    /// Unreadable stretches skipped in any segment; each such segment was first copied to
    /// ``JournalOptions/quarantineDirectory``. The deliveries whose records were there are lost
    /// to the journal (their count is unknown: their ids were in the unreadable bytes).
    public var damage: [JournalDamage]
    /// Where the damaged segments were copied (empty when there was no damage).
    public var quarantined: [String]
    /// Segment files read.
    public var segmentsRead: Int
    /// Valid records read across all segments.
    public var recordsRead: Int
    /// For each damaged stretch, the source positions of the intact records around it: where the
    /// lost deliveries' lines can be read again.
    public var sourceGaps: [SourceGap] = []
    /// Deliveries settled by records after the damage whose enqueue record was not found (it may
    /// have been in the damage): a line read again must not enqueue them anew.
    public var settledAfterDamage: Set<String> = []
    /// The furthest journaled line of each file records name (one entry per file): every line
    /// before it was read and journaled, so reading that file need not resume before it, whatever
    /// its checkpoint says (a crash between a batch's journal write and its checkpoint's save).
    public var furthestByFile: [SourcePosition] = []
    /// The last ``JournalOptions/recentEnqueuedIDs`` delivery ids enqueued, settled or not.
    public var recentEnqueued = RecentIDs(capacity: 0)
}
