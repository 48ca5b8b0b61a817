import Foundation
import HeraldCore
import HeraldHTTP
import Testing

/// CloudEvents 1.0 over the HTTP protocol binding (binary and structured content modes).
@Suite("cloudevents")
struct CloudEventsTests {
    @Test("binary mode: data is the body, attributes are ce- headers, Content-Type is the data's")
    func binary() throws {
        let request = try FormatFixture.request(endpoint: "ce-binary")
        #expect(request.header("content-type") == "application/json")
        #expect(request.header("ce-specversion") == "1.0")
        #expect(request.header("ce-id") == "o-1")
        #expect(request.header("ce-type") == "order.created")
        #expect(request.header("ce-source") == "//shop.example.com/orders")
        #expect(request.header("ce-time") == "2026-11-25T09:00:00Z")
        #expect(request.header("ce-datacontenttype") == nil, "binary mode maps datacontenttype to Content-Type")
        let data = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
        #expect(data["id"] as? String == "o-1")
        #expect(data["source"] as? String == "legacy-shop")
    }

    @Test("structured mode: one application/cloudevents+json document with the attributes and data")
    func structured() throws {
        let request = try FormatFixture.request(endpoint: "ce-structured")
        #expect(request.header("content-type") == "application/cloudevents+json")
        #expect(request.headers.allSatisfy { !$0.name.lowercased().hasPrefix("ce-") })
        let document = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
        #expect(document["specversion"] as? String == "1.0")
        #expect(document["id"] as? String == "o-1")
        #expect(document["type"] as? String == "order.created")
        #expect(document["source"] as? String == "shop")
        #expect(document["time"] == nil, "the event has no 'time' field, the default time_field")
        #expect(document["datacontenttype"] as? String == "application/json")
        #expect((document["data"] as? [String: Any])?["type"] as? String == "order.created")
    }

    @Test("header values percent-encode space, quote, percent and non-ASCII (binding §3.1.3.2)")
    func headerEncoding() throws {
        let config = try ConfigLoader.load(text: """
            version: 1
            source: { file: ./e.jsonl }
            endpoints: { ce: { url: "https://ce.example.com/x", format: cloudevents, cloudevents: { source: "my shop" } } }
            routes: [{ name: r, events: ["*"], to: ce, template: "plain text, not JSON" }]
            """, path: "ce.yaml", environment: [:]).get()
        let event = try EventDecoder(typeField: FieldPath("type")!, idField: FieldPath("id")!)
            .decode(Array(#"{"type":"café.\"v\" 100%","id":"é 1","time":"2026-01-01T00:00:00Z"}"#.utf8)).get()
        let request = try RequestRenderer.request(for: event, route: config.routes[0], endpoint: config.endpoints[0], timestamp: 1)
        #expect(request.header("ce-type") == "caf%C3%A9.%22v%22%20100%25")
        #expect(request.header("ce-id") == "%C3%A9%201")
        #expect(request.header("ce-source") == "my%20shop")
        #expect(request.header("ce-time") == "2026-01-01T00:00:00Z")
        #expect(request.header("ce-type")?.removingPercentEncoding == #"café."v" 100%"#)
        #expect(request.header("content-type") == "text/plain; charset=utf-8")
        #expect(request.body == Array("plain text, not JSON".utf8))
    }

    @Test("the ce- headers are journaled with the payload and sent on every attempt")
    func storedHeaders() throws {
        let request = try FormatFixture.request(endpoint: "ce-binary")
        let route = FormatFixture.config.routes[0], endpoint = FormatFixture.config.endpoint(named: "ce-binary")!
        let payload = try RequestRenderer.payload(for: FormatFixture.event, route: route, endpoint: endpoint)
        let stored = try #require(StoredPayload(decoding: payload.encoded()))
        #expect(stored == payload)
        let resent = try RequestRenderer.request(webhookID: request.header("webhook-id")!, payload: stored, endpoint: endpoint, timestamp: 1_700_000_000)
        #expect(resent == request)
    }
}

@Suite("stored payloads")
struct StoredPayloadTests {
    @Test("version 1 records (no headers) still decode, and are still what payloads without headers encode to")
    func versionOne() throws {
        let bytes: [UInt8] = [1, 16, 0] + Array("application/json".utf8) + Array(#"{"a":1}"#.utf8)
        let payload = try #require(StoredPayload(decoding: bytes))
        #expect(payload == StoredPayload(contentType: "application/json", body: Array(#"{"a":1}"#.utf8)))
        #expect(payload.encoded() == bytes)
    }

    @Test("headers round-trip in version 2; truncated records are refused")
    func versionTwo() throws {
        let payload = StoredPayload(contentType: "text/plain", body: [1, 2, 3], headers: [HTTPHeader("ce-id", "é"), HTTPHeader("ce-type", "t")])
        let bytes = payload.encoded()
        #expect(bytes[0] == 2)
        #expect(StoredPayload(decoding: bytes) == payload)
        #expect(StoredPayload(decoding: Array(bytes.prefix(20))) == nil)
        #expect(StoredPayload(decoding: [3, 0, 0]) == nil)
    }
}
