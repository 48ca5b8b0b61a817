import HeraldHTTP
import HeraldJournal

/// Turns a finished attempt into a delivery-log record: the URL without credentials and with
/// every known secret redacted (a Slack webhook URL is itself a secret), the transport error as
/// the attempt already redacted it, and the first KiB of the response body (redacted as well, in
/// case a receiver echoes a credential).
struct AttemptRecorder: Sendable {
    let log: DeliveryLog
    let secrets: SecretRegistry

    /// `error`: the transport error, already redacted (nil when a response arrived).
    func record(_ recorded: Recorded, url: String, startedAt: Int64, result: HTTPResult, error: String?, traceID: String? = nil) {
        let delivery = recorded.delivery
        let redactor = secrets.redactor
        var response = ResponseExcerpt(body: result.body, moreFollowed: result.bodyTruncated)
        if let text = response.text, !text.isEmpty { response.text = redactor.redact(text, cutShort: response.truncated) }
        let micros = result.duration.components.seconds * 1_000_000 + result.duration.components.attoseconds / 1_000_000_000_000
        var record = DeliveryAttemptRecord(
            time: startedAt, deliveryID: delivery.id, eventID: delivery.eventID, eventType: delivery.eventType,
            route: delivery.route, endpoint: delivery.endpoint, url: redactor.redact(DeliveryAttemptRecord.displayURL(url)),
            attempt: delivery.attempts + 1, durationMicroseconds: micros, status: result.status,
            error: error,
            response: response)
        record.traceID = traceID
        record.source = recorded.origin.source
        record.file = recorded.origin.file
        log.record(record)
    }
}

/// A delivery an attempt carried, with the source its event came from (from its payload).
struct Recorded: Sendable {
    var delivery: PendingDelivery
    var origin: EventMetadata
}
