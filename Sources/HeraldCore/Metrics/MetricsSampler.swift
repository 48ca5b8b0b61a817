import HeraldJournal
import ServiceLifecycle

/// Samples the gauges that describe quantities rather than events, every `interval` (a second
/// by default): journal pending deliveries and bytes, the dead letters' bytes, and the source's lag. (Paused endpoints
/// and open circuits are pushed by the dispatcher when they change.) A periodic service: these
/// quantities have no event to wake on.
struct MetricsSampler: Service {
    let metrics: HeraldMetrics
    let journal: Journal
    let sourceLag: SourceLag?
    let interval: Duration
    var deadLetters: DeadLetterStore? = nil

    func sample() {
        metrics.recordJournal(pending: journal.pendingCount, bytes: journal.bytesOnDisk)
        if let deadLetters { metrics.recordDeadLetters(bytes: deadLetters.bytesStored) }
        if let sourceLag, let bytes = sourceLag.bytes() { metrics.recordSourceLag(bytes: bytes) }
    }

    /// Samples until graceful shutdown (or cancellation).
    func run() async {
        await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                sample()
                try? await Task.sleep(for: interval)
            }
        }
    }
}
