import HeraldHTTP
import Crypto
import Foundation
import HeraldCore
import Testing

@Suite("requests")
struct RequestRendererTests {
    static let config = try! ConfigLoader.load(text: """
        version: 1
        source: { file: ./events.jsonl }
        endpoints:
          erp:
            url: https://erp.example.com/hooks
            headers: { Authorization: "Bearer ${TOKEN}" }
            signing: { scheme: standard-webhooks, secret: [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, whsec_aGVyYWxkLWRlbW8tc2VjcmV0LXBsZWFzZS1yb3RhdGUhIQ==] }
          gh:
            url: https://gh.example.com/hooks
            signing: { scheme: hmac-sha256, secret: "It's a Secret to Everybody" }
        routes:
          - name: plain
            events: ["*"]
            to: [erp, gh]
          - name: shaped
            events: [order.created]
            to: erp
            transform:
              pick: [id, type, data.order_id, data.customer]
              drop: [data.customer.email]
              rename: { data.order_id: data.orderId }
              set: { source: legacy-shop, meta.version: 2 }
          - name: flag-vip
            events: [order.created]
            to: erp
            transform: { set: { data.customer.vip: true } }
        """, path: "r.yaml", environment: ["TOKEN": "tok-123456"]).get()

    static func event(_ text: String) -> Event {
        try! EventDecoder(typeField: FieldPath("type")!, idField: FieldPath("id")!).decode(Array(text.utf8)).get()
    }

    @Test("with no transform and format json the body is the event's line, byte for byte")
    func passThrough() throws {
        let line = #"{ "type" : "order.created", "id":"o-1", "n": 1.50e2 , "s":"\u00e9" }"#
        let request = try RequestRenderer.request(for: Self.event(line), route: Self.config.routes[0], endpoint: Self.config.endpoints[0], timestamp: 1_700_000_000)
        #expect(request.body == Array(line.utf8))
        #expect(request.method == "POST")
        #expect(request.url == "https://erp.example.com/hooks")
        #expect(request.header("content-type") == "application/json")
        #expect(request.header("user-agent") == "herald/\(HeraldVersion.string)")
        #expect(request.header("webhook-timestamp") == "1700000000")
        #expect(request.header("Authorization") == "Bearer tok-123456")
    }

    @Test("webhook-id is stable for an event, route and endpoint, and differs otherwise")
    func webhookID() {
        let a = RequestRenderer.webhookID(eventID: "o-1", route: "plain", endpoint: "erp")
        #expect(a == RequestRenderer.webhookID(eventID: "o-1", route: "plain", endpoint: "erp"))
        #expect(a != RequestRenderer.webhookID(eventID: "o-1", route: "plain", endpoint: "gh"))
        #expect(a != RequestRenderer.webhookID(eventID: "o-2", route: "plain", endpoint: "erp"))
        #expect(a.utf8.count == 15)
        #expect(a.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
    }

    @Test("pick, drop, rename and set apply in that order")
    func transform() throws {
        let event = Self.event(#"{"type":"order.created","id":"o-1","extra":1,"data":{"order_id":42,"total":9,"customer":{"name":"Ana","email":"a@x"}}}"#)
        let request = try RequestRenderer.request(for: event, route: Self.config.routes[1], endpoint: Self.config.endpoints[0], timestamp: 1)
        #expect(String(decoding: request.body, as: UTF8.self)
            == #"{"id":"o-1","type":"order.created","data":{"customer":{"name":"Ana"},"orderId":42},"source":"legacy-shop","meta":{"version":2}}"#)
    }

    @Test("a transform that cannot apply fails with the reason")
    func transformFailure() {
        let event = Self.event(#"{"type":"order.created","id":"o-1","data":{"customer":"Ana"}}"#)
        #expect {
            try RequestRenderer.request(for: event, route: Self.config.routes[2], endpoint: Self.config.endpoints[0], timestamp: 1)
        } throws: { error in
            (error as? RequestRenderer.Failure)?.message
                == "transform of route 'flag-vip' failed: cannot set 'data.customer.vip': a parent field is a string, not an object"
        }
    }

    @Test("a rename into a field that is not an object fails with the reason, whatever the format")
    func renameFailure() throws {
        let config = try ConfigLoader.load(text: """
            version: 1
            source: { file: ./events.jsonl }
            endpoints: { x: { url: "https://x.example.com/x", format: xml } }
            routes: [{ name: move, events: ["*"], to: x, transform: { rename: { data.order_id: data.customer.orderId } } }]
            """, path: "m.yaml", environment: [:]).get()
        let event = Self.event(#"{"type":"order.created","id":"o-1","data":{"order_id":7,"customer":"Ana"}}"#)
        #expect {
            try RequestRenderer.request(for: event, route: config.routes[0], endpoint: config.endpoints[0], timestamp: 1)
        } throws: { error in
            (error as? RequestRenderer.Failure)?.message
                == "transform of route 'move' failed: cannot set 'data.customer.orderId': a parent field is a string, not an object"
        }
    }

    @Test("standard-webhooks matches the specification's published test vector")
    func standardWebhooksVector() throws {
        let signing = SigningConfig(scheme: .standardWebhooks, secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], header: "webhook-signature", prefix: "")
        let headers = RequestSigner(signing).headers(webhookID: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(headers == [HTTPHeader("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")])
    }

    @Test("several secrets give several space-separated signatures, each over id.timestamp.body")
    func rotation() throws {
        let request = try RequestRenderer.request(for: Self.event(#"{"type":"a","id":"1"}"#), route: Self.config.routes[0], endpoint: Self.config.endpoints[0], timestamp: 42)
        let signatures = try #require(request.header("webhook-signature")).split(separator: " ")
        #expect(signatures.count == 2)
        let id = try #require(request.header("webhook-id"))
        for (signature, secret) in zip(signatures, Self.config.endpoints[0].signing!.secrets) {
            let key = SymmetricKey(data: Data(base64Encoded: String(secret.dropFirst(6)))!)
            let expected = HMAC<SHA256>.authenticationCode(for: Array("\(id).42.".utf8) + request.body, using: key)
            #expect(signature == "v1," + Data(expected).base64EncodedString())
        }
    }

    @Test("hmac-sha256 sends GitHub's X-Hub-Signature-256: sha256=<hex>")
    func githubStyle() throws {
        // GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!".
        let signing = SigningConfig(scheme: .hmacSHA256, secrets: ["It's a Secret to Everybody"], header: "X-Hub-Signature-256", prefix: "sha256=")
        let headers = RequestSigner(signing).headers(webhookID: "x", timestamp: 0, body: Array("Hello, World!".utf8))
        #expect(headers == [HTTPHeader("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")])
    }

    @Test("credentials and configured secrets are redacted for display")
    func redaction() {
        let redactor = Redactor(secrets: Self.config.secrets)
        #expect(redactor.redact(header: HTTPHeader("Authorization", "Bearer tok-123456")).value == "[redacted]")
        #expect(redactor.redact(header: HTTPHeader("X-Other", "has Bearer tok-123456 inside")).value == "has [redacted] inside")
        #expect(redactor.redact("nothing secret") == "nothing secret")
    }
}
