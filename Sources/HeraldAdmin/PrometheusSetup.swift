import HeraldCore
import Prometheus

/// The Prometheus backend for ``HeraldMetrics``: a factory on the registry that `/metrics`
/// exposes, with latency buckets suited to webhook deliveries (1 ms to 30 s).
public enum PrometheusSetup {
    public static func factory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[MetricName.deliveryDuration] = MetricName.deliveryDurationBuckets
        return factory
    }
}
