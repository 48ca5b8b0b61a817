import Synchronization

/// Counters of everything that happened to events and deliveries, each with a reason where one
/// applies, so that nothing disappears silently. Shared by the ingest loop and the dispatcher;
/// each count also goes to the run's ``HeraldMetrics``.
public final class DeliveryStats: Sendable {
    public struct Snapshot: Sendable, Equatable {
        public var linesRead = 0
        public var eventsRouted = 0
        public var eventsUnrouted = 0
        /// Rejected lines by reason (`invalid_json`, …).
        public var rejected: [String: Int] = [:]
        public var deliveriesEnqueued = 0
        public var duplicatesSkipped = 0
        public var delivered = 0
        public var retried = 0
        /// Dead letters by reason kind (`permanent`, `exhausted`, `max_age`, `gone`, `render`, `removed`).
        public var dead: [String: Int] = [:]
        public var replayed = 0
        /// Config reloads by result: `applied` or `rejected`.
        public var reloads: [String: Int] = [:]
        /// Failed file operations that were (or will be) tried again, by operation.
        public var ioErrors: [String: Int] = [:]

        public var rejectedTotal: Int { rejected.values.reduce(0, +) }
        public var deadTotal: Int { dead.values.reduce(0, +) }
        public var ioErrorsTotal: Int { ioErrors.values.reduce(0, +) }
    }

    /// What one source batch produced.
    struct Batch {
        var lines = 0
        var routed = 0
        var unrouted = 0
        var enqueued = 0
        var duplicates = 0
        var rejected: [String: Int] = [:]
    }

    public let metrics: HeraldMetrics
    private let state = Mutex(Snapshot())

    public init(metrics: HeraldMetrics = HeraldMetrics(endpoints: [])) {
        self.metrics = metrics
    }

    public var snapshot: Snapshot { state.withLock { $0 } }

    func update(_ body: (inout Snapshot) -> Void) {
        state.withLock { body(&$0) }
    }

    func ingested(_ batch: Batch) {
        update { stats in
            stats.linesRead += batch.lines
            stats.eventsRouted += batch.routed
            stats.eventsUnrouted += batch.unrouted
            stats.deliveriesEnqueued += batch.enqueued
            stats.duplicatesSkipped += batch.duplicates
            for (reason, count) in batch.rejected { stats.rejected[reason, default: 0] += count }
        }
        metrics.countIngested(batch)
    }

    /// A request went out and came back (a response or a transport error) after `duration`.
    func attempted(endpoint: String, duration: Duration) {
        metrics.endpoint(endpoint).record(duration: duration)
    }

    func delivered(endpoint: String) {
        update { $0.delivered += 1 }
        metrics.endpoint(endpoint).countDelivered()
    }

    func retried(endpoint: String) {
        update { $0.retried += 1 }
        metrics.endpoint(endpoint).countRetry()
    }

    func dead(endpoint: String, kind: String) {
        update { $0.dead[kind, default: 0] += 1 }
        metrics.endpoint(endpoint).countDead(reason: kind)
    }

    /// A config reload was applied, or rejected (the running config stays).
    func reloaded(applied: Bool) {
        update { $0.reloads[applied ? "applied" : "rejected", default: 0] += 1 }
        metrics.countReload(valid: applied)
    }

    /// A file operation failed and will be tried again (`operation`: the `op` label of
    /// `herald_io_errors_total`).
    func ioFailed(_ operation: String, errno: Int32?) {
        update { $0.ioErrors[operation, default: 0] += 1 }
        metrics.countIOError(operation: operation, errno: errno)
    }

    func replayed(_ count: Int) {
        update { $0.replayed += count }
        metrics.countReplayed(count)
    }
}
