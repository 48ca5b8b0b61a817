import OrderedCollections

/// What `herald journal verify` reports: the journal as recovery would read it, read without
/// taking the lock or changing a byte (so it runs beside a running Herald).
public struct JournalVerification: Sendable {
    public struct SegmentSummary: Sendable {
        public var name: String
        public var bytes: Int64
        /// Deliveries whose current enqueue record is in this segment and not settled.
        public var pending: Int
    }

    public var segments: [SegmentSummary]
    public var recordsRead: Int
    /// Pending deliveries by endpoint.
    public var pendingByEndpoint: [String: Int]
    public var pending: Int { pendingByEndpoint.values.reduce(0, +) }
    /// A torn last record (a crash mid-write, or a write in progress while this ran).
    public var tornTail: TornTail?
    public var damage: [JournalDamage]
    /// Damaged stretches bounded by a source position (an intact record before them): start-up
    /// reads their lines again from the source file while it is there.
    public var boundedBySource: Int
    public var isClean: Bool { damage.isEmpty }
}

extension Journal {
    /// Reads the journal in `directory` as recovery does and reports what it holds, changing
    /// nothing: no lock, no truncation, no quarantine copy. Throws for a directory that cannot
    /// be read or a segment in a format this version does not know.
    public static func verify(directory: String) throws(JournalError) -> JournalVerification {
        var options = JournalOptions()
        options.recoverPayloads = false
        let store = JournalStore(directory: directory, options: options, lockFD: -1)
        defer { store.closeFiles() }
        let recovery = try store.recover(readOnly: true)
        var byEndpoint: [String: Int] = [:]
        for stub in recovery.pending { byEndpoint[stub.endpoint, default: 0] += 1 }
        return JournalVerification(
            segments: store.segments.values.map {
                .init(name: JournalStore.segmentName($0.number), bytes: $0.size, pending: $0.liveCount)
            },
            recordsRead: recovery.recordsRead, pendingByEndpoint: byEndpoint, tornTail: recovery.truncatedTail,
            damage: recovery.damage, boundedBySource: recovery.sourceGaps.filter { $0.before != nil }.count)
    }
}
