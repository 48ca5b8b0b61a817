import HeraldHTTP
import HeraldJournal

/// Turns a finished attempt into a delivery-log record: the URL without credentials and with
/// every known secret redacted (a Slack webhook URL is itself a secret), the transport error
/// (redacted too: libcurl may quote a proxy URL with its password), and the first KiB of the
/// response body (redacted as well, in case a receiver echoes a credential).
struct AttemptRecorder: Sendable {
    let log: DeliveryLog
    let secrets: SecretRegistry

    func record(_ delivery: PendingDelivery, url: String, startedAt: Int64, result: HTTPResult) {
        let redactor = secrets.redactor
        var response = ResponseExcerpt(body: result.body, moreFollowed: result.bodyTruncated)
        if let text = response.text, !text.isEmpty { response.text = redactor.redact(text) }
        let micros = result.duration.components.seconds * 1_000_000 + result.duration.components.attoseconds / 1_000_000_000_000
        log.record(DeliveryAttemptRecord(
            time: startedAt, deliveryID: delivery.id, eventID: delivery.eventID, eventType: delivery.eventType,
            route: delivery.route, endpoint: delivery.endpoint, url: redactor.redact(DeliveryAttemptRecord.displayURL(url)),
            attempt: delivery.attempts + 1, durationMicroseconds: micros, status: result.status,
            error: result.error.map { redactor.redact("\($0.kind): \($0.message)") },
            response: response))
    }
}
