import HeraldHTTP
import HeraldJournal

/// Sends one attempt: builds the request from the journaled payload and the endpoint's current
/// config, sends it through the libcurl loop, records it, and reports how it ended. The report
/// is made on the loop thread as the transfer completes, so the next transfer can start in the
/// same step; deciding what the outcome means is the dispatch machine's work.
struct AttemptRunner: Sendable {
    let client: HTTPClient
    let stats: DeliveryStats
    /// The config in force: payloads that still need rendering use its routes and decoder.
    let live: LiveConfig
    /// Every attempt's record for the delivery log, when it is on.
    let recorder: AttemptRecorder?
    let now: @Sendable () -> Int64
    /// OAuth2 tokens of the endpoints that use them.
    let tokens: TokenSources

    /// The one response header an attempt reads; one set for every request, not one each.
    private static let responseHeaders: Set<String> = ["retry-after"]

    func start(_ delivery: PendingDelivery, endpoint: EndpointConfig,
               done: @escaping @Sendable (DispatchMachine.AttemptReport) -> Void) {
        // A delivery that never reaches the network reports from a task of its own, so that a run
        // of them cannot recurse through the dispatcher.
        let payload: StoredPayload
        switch sendablePayload(of: delivery, endpoint: endpoint) {
        case .success(let ready): payload = ready
        case .failure(let reason):
            Task { done(.unsendable(reason)) }
            return
        }
        let started = now()
        let request: DeliveryRequest
        do {
            request = try RequestRenderer.request(webhookID: delivery.id, payload: payload, endpoint: endpoint, timestamp: started / 1000)
        } catch {
            let reason: DeadLetterReason = error.refused ? .refused(error.message) : .render(error.message)
            Task { done(.unsendable(reason)) }
            return
        }
        let http = Self.transfer(request, endpoint: endpoint)
        // The completion captures only what it uses: the endpoint config and the request are
        // large structs, and capturing them copies every field.
        let name = endpoint.name
        let url = recorder == nil ? "" : request.url
        let recorded = recorder == nil ? [] : [Recorded(delivery: delivery, origin: SourceStamp.metadata(in: payload.headers))]
        let traceID = recorder == nil ? nil : TraceContext.traceID(in: payload.headers)
        authorizeAndSend(http, endpoint: endpoint, context: (name, url, recorded, traceID, started), done: done)
    }

    /// Sends `deliveries` as one request (the endpoint's `batch`): each member's payload as it
    /// would go alone, joined as a JSON array or NDJSON, signed over the whole body under a
    /// `webhook-id` derived from the members' ids (the same for every attempt of the same batch).
    /// Members whose payload cannot be built are left out and reported apart, with the reason.
    func startBatch(_ deliveries: [PendingDelivery], endpoint: EndpointConfig,
                    done: @escaping @Sendable (DispatchMachine.AttemptReport, [String: DeadLetterReason]) -> Void) {
        let format = endpoint.batch?.format ?? .jsonArray
        var unsendable: [String: DeadLetterReason] = [:]
        var members: [PendingDelivery] = []
        var recorded: [Recorded] = []
        var body: [UInt8] = format == .jsonArray ? [UInt8(ascii: "[")] : []
        for delivery in deliveries {
            let payload: StoredPayload
            switch sendablePayload(of: delivery, endpoint: endpoint) {
            case .success(let ready): payload = ready
            case .failure(let reason):
                unsendable[delivery.id] = reason
                continue
            }
            if format == .jsonArray, !members.isEmpty { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: payload.body)
            if format == .ndjson { body.append(0x0A) }
            members.append(delivery)
            if recorder != nil { recorded.append(Recorded(delivery: delivery, origin: SourceStamp.metadata(in: payload.headers))) }
        }
        if format == .jsonArray { body.append(UInt8(ascii: "]")) }
        let leftOut = unsendable
        guard !members.isEmpty else {
            let reason = leftOut.values.first ?? .corrupt
            Task { done(.unsendable(reason), leftOut) }
            return
        }
        let started = now()
        let contentType = format == .jsonArray ? "application/json" : "application/x-ndjson"
        let id = RequestRenderer.batchID(members.map(\.id))
        let request: DeliveryRequest
        do {
            request = try RequestRenderer.request(webhookID: id, payload: StoredPayload(contentType: contentType, body: body), endpoint: endpoint,
                                                  timestamp: started / 1000)
        } catch {
            let reason: DeadLetterReason = error.refused ? .refused(error.message) : .render(error.message)
            Task { done(.unsendable(reason), leftOut) }
            return
        }
        let http = Self.transfer(request, endpoint: endpoint)
        authorizeAndSend(http, endpoint: endpoint, context: (endpoint.name, recorder == nil ? "" : request.url, recorded, nil, started)) { report in
            done(report, leftOut)
        }
    }

    /// The transfer for a rendered request under the endpoint's transport settings (single and batch alike).
    private static func transfer(_ request: DeliveryRequest, endpoint: EndpointConfig) -> HTTPRequest {
        var http = HTTPRequest(method: request.method, url: request.url, headers: request.headers, body: request.body,
                               timeout: endpoint.timeout, tls: endpoint.tls, proxy: endpoint.proxy)
        http.refusePrivateAddresses = endpoint.refusesPrivateAddresses
        http.responseHeaders = responseHeaders
        return http
    }

    /// Adds the endpoint's OAuth2 token, when it has one, and sends.
    private func authorizeAndSend(_ http: HTTPRequest, endpoint: EndpointConfig,
                                  context: (name: String, url: String, recorded: [Recorded], traceID: String?, started: Int64),
                                  done: @escaping @Sendable (DispatchMachine.AttemptReport) -> Void) {
        let name = context.name
        guard let oauth2 = endpoint.oauth2 else {
            send(http, token: nil, source: nil, context: context, done: done)
            return
        }
        // The token goes in at send time and is never journaled; a token endpoint that fails makes
        // this attempt a transport failure, retried on the schedule like any other.
        let source = tokens.source(for: name, oauth2)
        let unauthorized = http
        source.token { [self] result in
            switch result {
            case .success(let token):
                var authorized = unauthorized
                authorized.headers.append(HTTPHeader("Authorization", "Bearer " + token))
                send(authorized, token: token, source: source, context: context, done: done)
            case .failure(let failure):
                done(.sent(.transportError(failure.message)))
            }
        }
    }

    private func send(_ http: HTTPRequest, token: String?, source: TokenSource?,
                      context: (name: String, url: String, recorded: [Recorded], traceID: String?, started: Int64),
                      done: @escaping @Sendable (DispatchMachine.AttemptReport) -> Void) {
        let (name, url, recorded, traceID, started) = context
        client.send(http) { [stats, recorder] result in
            let attempt: AttemptResult
            if let error = result.error, error.kind == .refused {
                if let recorder { for member in recorded { recorder.record(member, url: url, startedAt: started, result: result, error: error.message, traceID: traceID) } }
                done(.unsendable(.refused("endpoint '\(name)': \(error.message)")))
                return
            }
            if result.status == 401, let token, let source, source.unauthorized(token) {
                // A revoked or expired token: a new one is fetched, and the delivery goes again with it.
                attempt = .transportError("HTTP 401 to the OAuth2 token; fetching a new one")
            } else if let status = result.status {
                let retryAfter = result.headers.first(named: "Retry-After").flatMap { RetryAfter.parse($0, now: .milliseconds(started)) }
                attempt = .status(status, retryAfter: retryAfter)
            } else {
                // libcurl's message may quote a proxy URL with its password: journaled and logged, so redacted.
                attempt = .transportError(result.error.map { SecretRegistry.shared.redact("\($0.kind): \($0.message)") } ?? "no response",
                                          timedOut: result.error?.kind == .timeout)
            }
            if let recorder {
                for member in recorded { recorder.record(member, url: url, startedAt: started, result: result, error: attempt.transportError, traceID: traceID) }
            }
            stats.attempted(endpoint: name, duration: result.duration)
            done(.sent(attempt))
        }
    }

    /// The journaled payload ready to send: decoded, and rendered again under the current config
    /// when ingest kept the event's line; else why it cannot go.
    private func sendablePayload(of delivery: PendingDelivery, endpoint: EndpointConfig) -> Result<StoredPayload, DeadLetterReason> {
        guard let payload = StoredPayload(decoding: delivery.payload) else { return .failure(.corrupt) }
        guard payload.contentType == StoredPayload.unrendered else { return .success(payload) }
        return render(payload.body, origin: SourceStamp.metadata(in: payload.headers), route: delivery.route, endpoint: endpoint).mapError { failure in
            failure.tooLarge == nil ? .render(failure.message) : .bodyTooLarge(failure.message)
        }
    }

    /// Renders an event's line for a route and endpoint under the current config, decoded as its
    /// source decodes (the first source's settings when it names none).
    private func render(_ line: [UInt8], origin: EventMetadata, route name: String, endpoint: EndpointConfig) -> Result<StoredPayload, RequestRenderer.Failure> {
        let generation = live.current
        guard let route = generation.routes[name] else { return .failure(RequestRenderer.Failure(message: "route '\(name)' is no longer in the config")) }
        guard case .success(var event) = generation.decoder(forSource: origin.source).decode(line) else {
            return .failure(RequestRenderer.Failure(message: "the journaled event no longer decodes under the current source settings"))
        }
        event.metadata = origin
        if origin.source == nil { event.metadata.source = generation.config.source.name }
        return Result { () throws(RequestRenderer.Failure) in try RequestRenderer.payload(for: event, route: route, endpoint: endpoint) }
    }
}
