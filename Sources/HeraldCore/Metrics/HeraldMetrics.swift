import CoreMetrics
import Synchronization

/// Herald's metrics through the swift-metrics API; the backend (Prometheus in `herald run`) is
/// the factory's business. Made once per run; handles per endpoint are built up front from the
/// config, so the hot path looks a handle up by endpoint name and counts, nothing more.
public final class HeraldMetrics: Sendable {
    private let eventsRead: Counter
    private let eventsRouted: Counter
    private let eventsUnrouted: Counter
    private let deliveriesEnqueued: Counter
    private let deadLettersReplayed: Counter
    private let deadLettersRemovedForBytes: Counter
    private let deadLettersRemovedForAge: Counter
    private let deadLetterBytes: Gauge
    private let journalPending: Gauge
    private let journalBytes: Gauge
    private let journalDamagedBytes: Counter
    private let journalRecovered: Counter
    private let journalUnrecoverable: Counter
    private let sourceLag: Gauge
    private let sourceFilesLost: Counter
    private let sourceBytesLost: Counter
    private let rejected: [String: Counter]
    private let reloadsOK: Counter
    private let reloadsInvalid: Counter
    private let ioErrors: IOErrorMetrics
    private let endpoints: [String: EndpointMetrics]
    /// Endpoints not in the config the metrics were made for (removed, or added by a reload).
    private let otherEndpoints = Mutex<[String: EndpointMetrics]>([:])
    private let factory: any MetricsFactory

    /// `endpoints`: the configured endpoint names; others get handles on first use.
    public init(endpoints: [String], factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
        eventsRead = Counter(label: MetricName.eventsRead, factory: factory)
        eventsRouted = Counter(label: MetricName.eventsRouted, factory: factory)
        eventsUnrouted = Counter(label: MetricName.eventsUnrouted, factory: factory)
        deliveriesEnqueued = Counter(label: MetricName.deliveriesEnqueued, factory: factory)
        deadLettersReplayed = Counter(label: MetricName.deadLettersReplayed, factory: factory)
        journalDamagedBytes = Counter(label: MetricName.journalDamagedBytes, factory: factory)
        journalRecovered = Counter(label: MetricName.journalRecovered, factory: factory)
        journalUnrecoverable = Counter(label: MetricName.journalUnrecoverable, factory: factory)

        deadLettersRemovedForBytes = Counter(label: MetricName.deadLettersRemoved, dimensions: [("reason", "max_bytes")], factory: factory)
        deadLettersRemovedForAge = Counter(label: MetricName.deadLettersRemoved, dimensions: [("reason", "max_age")], factory: factory)
        deadLetterBytes = Gauge(label: MetricName.deadLetterBytes, factory: factory)
        journalPending = Gauge(label: MetricName.journalPending, factory: factory)
        journalBytes = Gauge(label: MetricName.journalBytes, factory: factory)
        sourceLag = Gauge(label: MetricName.sourceLag, factory: factory)
        sourceFilesLost = Counter(label: MetricName.sourceFilesLost, factory: factory)
        sourceBytesLost = Counter(label: MetricName.sourceBytesLost, factory: factory)
        rejected = Dictionary(uniqueKeysWithValues: EventRejection.Reason.allCases.map {
            ($0.rawValue, Counter(label: MetricName.eventsRejected, dimensions: [("reason", $0.rawValue)], factory: factory))
        })
        reloadsOK = Counter(label: MetricName.configReloads, dimensions: [("result", "ok")], factory: factory)
        reloadsInvalid = Counter(label: MetricName.configReloads, dimensions: [("result", "invalid")], factory: factory)
        ioErrors = IOErrorMetrics(factory: factory)
        self.endpoints = Dictionary(endpoints.map { ($0, EndpointMetrics(name: $0, factory: factory)) }, uniquingKeysWith: { first, _ in first })
    }

    /// Counts one config reload: `valid` when it was applied, else it was rejected and the old config kept.
    public func countReload(valid: Bool) {
        (valid ? reloadsOK : reloadsInvalid).increment()
    }

    /// Sets `herald_endpoint_breaker_open` to 1 for the endpoints whose circuit is open and 0 for the others.
    public func setBreakerOpen(_ open: Set<String>) {
        set(\.breakerOpen, to: open)
    }

    /// Sets `herald_endpoint_concurrency_limit` of each adaptive endpoint.
    public func setConcurrencyLimits(_ limits: [String: Int]) {
        for (name, limit) in limits { endpoint(name).record(concurrencyLimit: limit) }
    }

    /// Sets `herald_endpoint_paused` to 1 for the endpoints in `paused` (retired by 410 Gone) and 0 for the others.
    public func setPaused(_ paused: Set<String>) {
        set(\.paused, to: paused)
    }

    private func set(_ gauge: KeyPath<EndpointMetrics, Gauge>, to names: Set<String>) {
        for (name, handles) in endpoints { handles[keyPath: gauge].record(names.contains(name) ? 1 : 0) }
        for (name, handles) in otherEndpoints.withLock({ $0 }) { handles[keyPath: gauge].record(names.contains(name) ? 1 : 0) }
        for name in names where endpoints[name] == nil { endpoint(name)[keyPath: gauge].record(1) }
    }

    func countIngested(_ batch: DeliveryStats.Batch) {
        if batch.lines > 0 { eventsRead.increment(by: batch.lines) }
        if batch.routed > 0 { eventsRouted.increment(by: batch.routed) }
        if batch.unrouted > 0 { eventsUnrouted.increment(by: batch.unrouted) }
        if batch.enqueued > 0 { deliveriesEnqueued.increment(by: batch.enqueued) }
        for (reason, count) in batch.rejected { rejected[reason]?.increment(by: count) }
    }

    func recordJournal(pending: Int, bytes: Int64) {
        journalPending.record(pending)
        journalBytes.record(bytes)
    }

    /// Journal bytes recovery could not read and skipped (each start counts what it found).
    func countJournalDamage(bytes: Int64) {
        journalDamagedBytes.increment(by: bytes)
    }

    /// Deliveries enqueued again from their source lines after journal damage, and the damaged
    /// stretches whose lines could not be read again.
    func countSourceRecovery(recovered: Int, unrecoverable: Int) {
        journalRecovered.increment(by: recovered)
        journalUnrecoverable.increment(by: unrecoverable)
    }

    func recordSourceLag(bytes: Int64) {
        sourceLag.record(bytes)
    }

    /// Counts a source file that vanished before it was read to its end, with the bytes known unread.
    public func countLostSourceFile(unreadBytes: Int64?) {
        sourceFilesLost.increment()
        if let unreadBytes, unreadBytes > 0 { sourceBytesLost.increment(by: Int(clamping: unreadBytes)) }
    }

    /// Counts one failed file operation (`op`: `journal_append`, `journal_fsync`, `checkpoint_write`,
    /// `dead_letter_write`, `read_back`) that Herald will try again.
    func countIOError(operation: String, errno: Int32?) {
        ioErrors.count(operation, errno: errno)
    }

    func countReplayed(_ count: Int) {
        deadLettersReplayed.increment(by: count)
    }

    /// Counts what a dead-letter retention pass removed.
    public func countRetention(removedForBytes: Int, removedForAge: Int) {
        if removedForBytes > 0 { deadLettersRemovedForBytes.increment(by: removedForBytes) }
        if removedForAge > 0 { deadLettersRemovedForAge.increment(by: removedForAge) }
    }

    func recordDeadLetters(bytes: Int64) {
        deadLetterBytes.record(bytes)
    }

    func endpoint(_ name: String) -> EndpointMetrics {
        if let handles = endpoints[name] { return handles }
        return otherEndpoints.withLock { others in
            if let handles = others[name] { return handles }
            let handles = EndpointMetrics(name: name, factory: factory)
            others[name] = handles
            return handles
        }
    }
}
