/// The names of Herald's metrics, `herald_<noun>_<unit>` with `_total` for counters, per
/// Prometheus naming practice. docs/operations.md ("Metrics") says what each one means.
public enum MetricName {
    public static let eventsRead = "herald_events_read_total"
    public static let eventsRejected = "herald_events_rejected_total"
    public static let eventsUnrouted = "herald_events_unrouted_total"
    public static let eventsRouted = "herald_events_routed_total"
    public static let deliveriesEnqueued = "herald_deliveries_enqueued_total"
    public static let deliveries = "herald_deliveries_total"
    public static let deliveryDuration = "herald_delivery_duration_seconds"
    public static let deadLetters = "herald_dead_letters_total"
    public static let deadLettersReplayed = "herald_dead_letters_replayed_total"
    public static let deadLettersRemoved = "herald_dead_letters_removed_total"
    public static let deadLetterBytes = "herald_dead_letters_bytes"
    public static let journalPending = "herald_journal_pending_deliveries"
    public static let journalBytes = "herald_journal_bytes"
    public static let journalDamagedBytes = "herald_journal_damaged_bytes_total"
    public static let journalRecovered = "herald_journal_recovered_from_source_total"
    public static let journalUnrecoverable = "herald_journal_unrecoverable_stretches_total"
    public static let sourceLag = "herald_source_lag_bytes"
    public static let sourceFilesLost = "herald_source_files_lost_total"
    public static let sourceBytesLost = "herald_source_lost_bytes_total"
    public static let ioErrors = "herald_io_errors_total"
    public static let configReloads = "herald_config_reloads_total"
    public static let endpointPaused = "herald_endpoint_paused"
    public static let endpointBreakerOpen = "herald_endpoint_breaker_open"
    public static let endpointConcurrencyLimit = "herald_endpoint_concurrency_limit"

    /// Buckets of `herald_delivery_duration_seconds`: 1 ms to 30 s, about three per decade.
    public static let deliveryDurationBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
        .seconds(10), .seconds(30),
    ]
}
