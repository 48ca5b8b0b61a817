import HeraldHTTP
import Crypto

/// Builds the request a route sends to an endpoint for an event: body, content type, the
/// Standard Webhooks headers, configured headers and signatures.
public struct RequestRenderer: Sendable {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
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

    /// The body for this route and endpoint: the event's own bytes when nothing reshapes it.
    public static func body(for event: Event, route: RouteConfig, endpoint: EndpointConfig) throws(Failure) -> [UInt8] {
        guard endpoint.format == .json else {
            throw Failure(message: "format '\(endpoint.format.rawValue)' is not supported yet: only json is implemented in this version")
        }
        guard route.template == nil else {
            throw Failure(message: "route '\(route.name)' uses 'template', which is not supported yet in this version")
        }
        guard let transform = route.transform, !transform.isEmpty else { return event.line }
        do {
            return JSONWriter.encodeBytes(.object(try FieldTransformer.apply(transform, to: event.body)))
        } catch {
            throw Failure(message: "transform of route '\(route.name)' failed: \(error.message)")
        }
    }

    /// Content type of the bodies this version renders.
    public static func contentType(for endpoint: EndpointConfig) -> String { "application/json" }

    /// The full request, signed, as it would be sent at `timestamp` (Unix seconds).
    public static func request(for event: Event, route: RouteConfig, endpoint: EndpointConfig, timestamp: Int64) throws(Failure) -> DeliveryRequest {
        let body = try body(for: event, route: route, endpoint: endpoint)
        let id = webhookID(eventID: event.id, route: route.name, endpoint: endpoint.name)
        return request(webhookID: id, payload: StoredPayload(contentType: contentType(for: endpoint), body: body), endpoint: endpoint, timestamp: timestamp)
    }

    /// The request for an already rendered (journaled) payload under the endpoint's current
    /// config: URL, headers and signature are applied at send time.
    public static func request(webhookID: String, payload: StoredPayload, endpoint: EndpointConfig, timestamp: Int64) -> DeliveryRequest {
        var headers = [
            HTTPHeader("Content-Type", payload.contentType),
            HTTPHeader("User-Agent", userAgent),
            HTTPHeader("webhook-id", webhookID),
            HTTPHeader("webhook-timestamp", String(timestamp)),
        ]
        headers.append(contentsOf: endpoint.headers)
        if let signing = endpoint.signing {
            headers.append(contentsOf: RequestSigner(signing).headers(webhookID: webhookID, timestamp: timestamp, body: payload.body))
        }
        return DeliveryRequest(method: "POST", url: endpoint.url.text, headers: headers, body: payload.body)
    }
}
