import HeraldJournal

/// Samples the gauges that describe quantities rather than events, about once a second: journal
/// pending deliveries and bytes, and the source's lag. (Paused endpoints and open circuits are
/// pushed by the dispatcher when they change.)
struct MetricsSampler: Sendable {
    let metrics: HeraldMetrics
    let journal: Journal
    let sourceLag: SourceLag?

    func sample() {
        metrics.recordJournal(pending: journal.pendingCount, bytes: journal.bytesOnDisk)
        if let sourceLag, let bytes = sourceLag.bytes() { metrics.recordSourceLag(bytes: bytes) }
    }

    /// Samples until the task is cancelled.
    func run(every interval: Duration = .seconds(1)) async {
        while !Task.isCancelled {
            sample()
            try? await Task.sleep(for: interval)
        }
    }
}
