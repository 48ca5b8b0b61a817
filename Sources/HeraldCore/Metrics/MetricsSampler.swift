import HeraldJournal

/// Samples the gauges that describe state rather than events, about once a second: journal
/// pending deliveries and bytes, the source's lag, endpoints paused by 410 Gone or by an open
/// circuit breaker.
struct MetricsSampler: Sendable {
    let metrics: HeraldMetrics
    let journal: Journal
    let dispatcher: Dispatcher
    let sourceLag: SourceLag?

    func sample() {
        metrics.recordJournal(pending: journal.pendingCount, bytes: journal.bytesOnDisk)
        if let sourceLag, let bytes = sourceLag.bytes() { metrics.recordSourceLag(bytes: bytes) }
        metrics.setPaused(Set(dispatcher.goneEndpoints.keys))
        metrics.setBreakerOpen(Set(dispatcher.openCircuits))
    }

    /// Samples until the task is cancelled.
    func run(every interval: Duration = .seconds(1)) async {
        while !Task.isCancelled {
            sample()
            try? await Task.sleep(for: interval)
        }
    }
}
