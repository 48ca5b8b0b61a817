import HeraldHTTP
import Crypto

/// Builds the request a route sends to an endpoint for an event: body, content type, the
/// Standard Webhooks headers, configured headers and signatures.
public struct RequestRenderer: Sendable {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        /// Set when the body passed the endpoint's `max_body_bytes` while it was rendered.
        public var tooLarge: BodyTooLarge?
        /// Set when the rendered destination is not allowed (`allowed_hosts`): the delivery is
        /// dead-lettered as refused, not as a rendering failure.
        public var refused = false
        public var description: String { message }

        public init(message: String, tooLarge: BodyTooLarge? = nil, refused: Bool = false) {
            self.message = message
            self.tooLarge = tooLarge
            self.refused = refused
        }
    }

    public static let userAgent = "herald/\(HeraldVersion.string)"

    /// The delivery's `webhook-id`: the same for every attempt of one event on one route to one
    /// endpoint, so receivers can drop duplicates. 15 base64url characters (90 bits of SHA-256):
    /// short enough to be an inline Swift string, which keeps a large backlog's index small.
    public static func webhookID(eventID: String, route: String, endpoint: String) -> String {
        var bytes = Array(eventID.utf8)
        bytes.append(0)
        bytes.append(contentsOf: route.utf8)
        bytes.append(0)
        bytes.append(contentsOf: endpoint.utf8)
        return Base64URL.encode(Array(SHA256.hash(data: bytes).prefix(12)), length: 15)
    }

    /// A batch's `webhook-id`: 15 base64url characters of a SHA-256 of its members' ids, so a batch
    /// sent again is recognisable as the same one.
    public static func batchID(_ members: [String]) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Array(members.joined(separator: "\n").utf8)).prefix(12)), length: 15)
    }

    /// The payload for this route and endpoint: the event's own bytes when nothing reshapes it and
    /// the format is json; else pick, drop, rename, set, then `template` or `body`, then the format.
    /// Every step that can multiply the event's size stops at the endpoint's `max_body_bytes`.
    public static func payload(for event: Event, route: RouteConfig, endpoint: EndpointConfig) throws(Failure) -> StoredPayload {
        var payload = try shapedPayload(for: event, route: route, endpoint: endpoint)
        if let path = route.traceField ?? endpoint.traceField, let trace = TraceContext(in: event, at: path) {
            payload.headers.append(contentsOf: trace.headers)
        }
        // The values a templated url or header takes, kept with the payload: the url and headers
        // themselves are rendered at send time, under the endpoint's config then.
        for path in endpoint.isTemplated ? endpoint.templateFields : [] {
            guard let value = PlaceholderText.value(of: event[path]) else {
                throw Failure(message: "endpoint '\(endpoint.name)': {{\(path)}} in its url or headers needs a string, number or boolean; the event has \(event[path]?.typeName ?? "no such field")")
            }
            payload.headers.append(HTTPHeader(TemplateValues.prefix + path.description, value))
        }
        return payload
    }

    private static func shapedPayload(for event: Event, route: RouteConfig, endpoint: EndpointConfig) throws(Failure) -> StoredPayload {
        let limit = endpoint.maxBodyBytes
        func tooLarge(_ stage: String) -> Failure {
            let bound = BodyTooLarge(limit: limit, stage: stage)
            return Failure(message: "route '\(route.name)' to endpoint '\(endpoint.name)': \(bound)", tooLarge: bound)
        }
        if endpoint.format == .json, route.passesThrough {
            guard event.line.count <= limit else { throw tooLarge("json") }
            return StoredPayload(contentType: "application/json", body: event.line)
        }
        var object = event.body
        if let transform = route.transform, !transform.isEmpty {
            do {
                object = try FieldTransformer.apply(transform, to: event.body, strict: route.strict, limit: limit)
            } catch {
                if let bound = error.tooLarge { throw tooLarge(bound.stage) }
                throw Failure(message: "transform of route '\(route.name)' failed: \(error.message)")
            }
        }
        let shaped: PayloadEncoder.Shaped
        if let template = route.template {
            let rendered = template.render(.object(object), escaping: endpoint.format.templateEscaping, limit: limit)
            if rendered.tooLarge { throw tooLarge("template") }
            if route.strict, let missing = rendered.missing {
                throw Failure(message: "template of route '\(route.name)' failed: \(TemplateFailure.missingField(missing))")
            }
            shaped = .text(rendered.text)
        } else if let body = route.body {
            var budget = limit
            do {
                shaped = .body(try body.render(.object(object), strict: route.strict, budget: &budget, stage: "body"))
            } catch {
                switch error {
                case .missing(let missing):
                    throw Failure(message: "body of route '\(route.name)' failed: \(TemplateFailure.missingField(missing.path))")
                case .tooLarge: throw tooLarge("body")
                }
            }
        } else {
            shaped = .event(object)
        }
        do {
            return try PayloadEncoder.encode(shaped, event: event, endpoint: endpoint)
        } catch {
            if let bound = error.tooLarge { throw tooLarge(bound.stage) }
            throw Failure(message: "route '\(route.name)' to endpoint '\(endpoint.name)': \(error.message)")
        }
    }

    /// The body alone (see ``payload(for:route:endpoint:)``).
    public static func body(for event: Event, route: RouteConfig, endpoint: EndpointConfig) throws(Failure) -> [UInt8] {
        try payload(for: event, route: route, endpoint: endpoint).body
    }

    /// The full request, signed, as it would be sent at `timestamp` (Unix seconds).
    public static func request(for event: Event, route: RouteConfig, endpoint: EndpointConfig, timestamp: Int64) throws(Failure) -> DeliveryRequest {
        let payload = try payload(for: event, route: route, endpoint: endpoint)
        let id = webhookID(eventID: event.id, route: route.name, endpoint: endpoint.name)
        return try request(webhookID: id, payload: payload, endpoint: endpoint, timestamp: timestamp)
    }

    /// The request for an already rendered (journaled) payload under the endpoint's current
    /// config: URL, headers and signature are applied at send time.
    public static func request(webhookID: String, payload: StoredPayload, endpoint: EndpointConfig, timestamp: Int64) throws(Failure) -> DeliveryRequest {
        var headers = [
            HTTPHeader("Content-Type", payload.contentType),
            HTTPHeader("User-Agent", userAgent),
            HTTPHeader("webhook-id", webhookID),
            HTTPHeader("webhook-timestamp", String(timestamp)),
        ]
        var url = endpoint.url.text
        if !endpoint.isTemplated {
            for header in payload.headers where !SourceStamp.isPseudo(header) { headers.append(header) }
        } else {
            let values = TemplateValues(payload.headers)
            headers.append(contentsOf: values.others)
            url = try TemplateValues.rendered(endpoint, values.byField)
            for template in endpoint.headerTemplates {
                headers.append(HTTPHeader(template.name, try TemplateValues.rendered(template, values.byField, endpoint: endpoint.name)))
            }
        }
        headers.append(contentsOf: endpoint.headers)
        if let signing = endpoint.signing {
            headers.append(contentsOf: RequestSigner(signing).headers(webhookID: webhookID, timestamp: timestamp, body: payload.body))
        }
        return DeliveryRequest(method: endpoint.method.rawValue, url: url, headers: headers, body: payload.body)
    }
}
