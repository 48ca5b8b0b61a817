import HeraldHTTP
import HeraldJournal

/// Turns a finished attempt into a delivery-log record: the URL without credentials and with
/// configured secrets redacted (a Slack webhook URL is itself a secret), the transport error,
/// and the first KiB of the response body.
struct AttemptRecorder: Sendable {
    let log: DeliveryLog
    let redactor: Redactor

    func record(_ delivery: PendingDelivery, url: String, startedAt: Int64, result: HTTPResult) {
        let micros = result.duration.components.seconds * 1_000_000 + result.duration.components.attoseconds / 1_000_000_000_000
        log.record(DeliveryAttemptRecord(
            time: startedAt, deliveryID: delivery.id, eventID: delivery.eventID, eventType: delivery.eventType,
            route: delivery.route, endpoint: delivery.endpoint, url: redactor.redact(DeliveryAttemptRecord.displayURL(url)),
            attempt: delivery.attempts + 1, durationMicroseconds: micros, status: result.status,
            error: result.error.map { "\($0.kind): \($0.message)" },
            response: ResponseExcerpt(body: result.body, moreFollowed: result.bodyTruncated)))
    }
}
