import HeraldJournal

/// The deliveries journaled last before Herald stopped. After a crash between journaling a batch
/// and saving its checkpoint, those lines are read again first; their deliveries must not be
/// enqueued a second time, whether they are still pending or have been delivered since start-up
/// (asking the journal what is pending would miss those). The window is the journal's tail — at
/// most one ingest batch — and contiguous: once a line yields a delivery the guard does not know,
/// everything after it is new, and the guard is dropped.
struct RereadGuard: Sendable {
    private var ids: Set<String>?

    /// `recovered`: the ids of the last deliveries recovered, those a re-read could repeat.
    init(recovered: [String]) {
        ids = recovered.isEmpty ? nil : Set(recovered)
    }

    var isActive: Bool { ids != nil }

    /// The deliveries of a batch that were not journaled before the restart, in order.
    mutating func fresh(_ deliveries: [PendingDelivery]) -> [PendingDelivery] {
        guard let known = ids else { return deliveries }
        let fresh = deliveries.filter { !known.contains($0.id) }
        if !fresh.isEmpty { ids = nil }
        return fresh
    }
}
