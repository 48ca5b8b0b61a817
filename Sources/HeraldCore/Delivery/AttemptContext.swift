import HeraldHTTP
import HeraldJournal
import Logging

/// One delivery attempt and its bookkeeping I/O: build the request from the journaled payload
/// and the endpoint's current config, send it, decide, and journal the outcome.
struct AttemptContext: Sendable {
    let client: HTTPClient
    let journal: Journal
    let deadLetters: DeadLetterStore
    let stats: DeliveryStats
    let logger: Logger
    let now: @Sendable () -> Int64
    let jitter: @Sendable () -> Double
    /// The config in force: payloads that still need rendering use its routes and decoder.
    let live: LiveConfig
    /// Every attempt's record for the delivery log, when it is on.
    var recorder: AttemptRecorder? = nil

    /// The whole delivery: from memory when it was kept, else read back from the journal
    /// (nil when the journal no longer has it).
    func load(_ held: HeldDelivery) async -> PendingDelivery? {
        if let box = held.box { return box.delivery }
        return await journal.read([held.id]).first ?? nil
    }

    func attempt(_ delivery: PendingDelivery, endpoint: EndpointConfig) async -> Dispatcher.Outcome {
        guard var payload = StoredPayload(decoding: delivery.payload) else {
            await bury(delivery, reason: "the journaled payload is unreadable", kind: "corrupt")
            return .settled(nil)
        }
        if payload.contentType == StoredPayload.unrendered {
            switch render(payload.body, route: delivery.route, endpoint: endpoint) {
            case .success(let rendered): payload = rendered
            case .failure(let failure):
                await bury(delivery, reason: failure.message, kind: "render")
                return .settled(nil)
            }
        }
        let started = now()
        let request = RequestRenderer.request(webhookID: delivery.id, payload: payload, endpoint: endpoint, timestamp: started / 1000)
        let result = await client.send(HTTPRequest(method: request.method, url: request.url, headers: request.headers, body: request.body,
                                                   timeout: endpoint.timeout, tls: endpoint.tls, proxy: endpoint.proxy))
        let attempt: AttemptResult
        if let status = result.status {
            let retryAfter = result.headers.first(named: "Retry-After").flatMap { RetryAfter.parse($0, now: .milliseconds(started)) }
            attempt = .status(status, retryAfter: retryAfter)
        } else {
            // libcurl's message may quote a proxy URL with its password: journaled and logged, so redacted.
            attempt = .transportError(result.error.map { SecretRegistry.shared.redact("\($0.kind): \($0.message)") } ?? "no response")
        }
        recorder?.record(delivery, url: request.url, startedAt: started, result: result, error: attempt.transportError)
        stats.attempted(endpoint: endpoint.name, duration: result.duration)
        var tried = delivery
        tried.attempts += 1
        tried.lastError = attempt.summary
        let finished = now()
        let decision = RetryPolicy(endpoint.retry).decide(attempt, attempts: tried.attempts, age: .milliseconds(finished - delivery.enqueuedAt), jitter: jitter())
        switch decision {
        case .delivered:
            stats.delivered(endpoint: endpoint.name)
            return .delivered
        case .retry(let after):
            tried.notBefore = finished + Int64(after.components.seconds * 1000 + after.components.attoseconds / 1_000_000_000_000_000)
            stats.retried(endpoint: endpoint.name)
            await record([.attempt(id: tried.id, attempts: tried.attempts, notBefore: tried.notBefore, error: attempt.summary)], for: tried)
            var metadata = metadata(for: tried)
            metadata["status"] = "\(attempt.summary)"
            metadata["retry_in"] = "\(ConfigDuration.format(after))"
            logger.warning("delivery failed, will retry", metadata: metadata)
            return .retry(tried)
        case .dead(let reason):
            let permanent = reason.hasPrefix("permanent")
            await bury(tried, reason: reason, kind: permanent ? "permanent" : (reason.hasPrefix("max_age") ? "max_age" : "exhausted"))
            return .settled(permanent ? .alive : .failing)
        case .endpointGone:
            let reason = "HTTP 410 Gone: the receiver retired endpoint '\(endpoint.name)'"
            await bury(tried, reason: reason, kind: "gone")
            return .endpointGone(reason)
        }
    }

    /// Renders an event's line for a route and endpoint under the current config.
    private func render(_ line: [UInt8], route name: String, endpoint: EndpointConfig) -> Result<StoredPayload, RequestRenderer.Failure> {
        let generation = live.current
        guard let route = generation.routes[name] else { return .failure(RequestRenderer.Failure(message: "route '\(name)' is no longer in the config")) }
        guard case .success(let event) = generation.decoder.decode(line) else {
            return .failure(RequestRenderer.Failure(message: "the journaled event no longer decodes under the current source settings"))
        }
        return Result { () throws(RequestRenderer.Failure) in try RequestRenderer.payload(for: event, route: route, endpoint: endpoint) }
    }

    /// Moves a delivery to the dead letters (fsynced) and then settles it in the journal.
    func bury(_ delivery: PendingDelivery, reason: String, kind: String) async {
        var metadata = metadata(for: delivery)
        metadata["reason"] = "\(reason)"
        do {
            try deadLetters.add(delivery, reason: reason, at: now())
        } catch {
            // Not settled: the delivery stays in the journal and is tried again after a restart.
            metadata["error"] = "\(error)"
            logger.error("cannot write dead letter; the delivery stays pending", metadata: metadata)
            return
        }
        stats.dead(endpoint: delivery.endpoint, kind: kind)
        await record([.dead(id: delivery.id, reason: reason)], for: delivery)
        logger.error("delivery dead-lettered", metadata: metadata)
    }

    /// Journals outcome records; a failure is logged, and the deliveries concerned may be sent
    /// again after a restart.
    func record(_ records: [JournalRecord], for delivery: PendingDelivery? = nil) async {
        do {
            try await journal.append(records)
        } catch {
            var metadata = delivery.map(metadata(for:)) ?? ["records": "\(records.count)"]
            metadata["error"] = "\(error)"
            logger.error("cannot journal delivery outcomes; they may be sent again after a restart", metadata: metadata)
        }
    }

    private func metadata(for delivery: PendingDelivery) -> Logger.Metadata {
        ["event_id": "\(delivery.eventID)", "endpoint": "\(delivery.endpoint)", "route": "\(delivery.route)", "attempt": "\(delivery.attempts)"]
    }
}
