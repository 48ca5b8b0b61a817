import CoreMetrics
import Synchronization

/// One endpoint's metric handles, made once so that counting a delivery never builds a label set.
final class EndpointMetrics: Sendable {
    private let delivered: Counter
    private let retried: Counter
    private let dead: Counter
    private let duration: Timer
    let paused: Gauge
    let breakerOpen: Gauge
    /// The current limit of an adaptive endpoint (made on first use: fixed ones have none).
    private let concurrencyLimit = Mutex<Gauge?>(nil)
    private let name: String
    private let factory: any MetricsFactory
    /// Dead letters by reason kind, made on first use (a rare path).
    private let deadByReason = Mutex<[String: Counter]>([:])

    init(name: String, factory: any MetricsFactory) {
        self.name = name
        self.factory = factory
        let endpoint = [("endpoint", name)]
        delivered = Counter(label: MetricName.deliveries, dimensions: endpoint + [("outcome", "delivered")], factory: factory)
        retried = Counter(label: MetricName.deliveries, dimensions: endpoint + [("outcome", "retry")], factory: factory)
        dead = Counter(label: MetricName.deliveries, dimensions: endpoint + [("outcome", "dead")], factory: factory)
        duration = Timer(label: MetricName.deliveryDuration, dimensions: endpoint, factory: factory)
        paused = Gauge(label: MetricName.endpointPaused, dimensions: endpoint, factory: factory)
        breakerOpen = Gauge(label: MetricName.endpointBreakerOpen, dimensions: endpoint, factory: factory)
        paused.record(0)
        breakerOpen.record(0)
    }

    func record(concurrencyLimit limit: Int) {
        concurrencyLimit.withLock { gauge in
            if gauge == nil { gauge = Gauge(label: MetricName.endpointConcurrencyLimit, dimensions: [("endpoint", name)], factory: factory) }
            gauge!.record(limit)
        }
    }

    func record(duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.duration.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    func countDelivered() {
        delivered.increment()
    }

    func countRetry() {
        retried.increment()
    }

    func countDead(reason: String) {
        dead.increment()
        let counter = deadByReason.withLock { counters in
            if let counter = counters[reason] { return counter }
            let counter = Counter(label: MetricName.deadLetters, dimensions: [("endpoint", name), ("reason", reason)], factory: factory)
            counters[reason] = counter
            return counter
        }
        counter.increment()
    }
}
