import HeraldCore
import HeraldHTTP
import Testing

@Suite("templated requests")
struct URLTemplateTests {
    @Test("values are encoded as one path segment or query value", arguments: [
        ("../admin", "..%2Fadmin"), ("..", "%2E%2E"), (".", "%2E"), ("@evil.com", "%40evil.com"), ("a\r\nX-Evil: 1", "a%0D%0AX-Evil%3A%201"),
        ("a b", "a%20b"), ("?#%&=", "%3F%23%25%26%3D"), ("café", "caf%C3%A9"), ("v1.2_x-y~z", "v1.2_x-y~z"), ("", ""),
    ])
    func encoding(value: String, encoded: String) {
        #expect(URLTemplate.percentEncoded(value) == encoded)
    }

    @Test("a template renders each value for its place")
    func render() throws {
        let template = try URLTemplate.parse("https://{{tenant}}.hooks.example.com/v1/{{data.kind}}/x?ref={{id}}&n=1").get()
        #expect(template.templatesHost)
        let values = [FieldPath("tenant")!: "Acme-1", FieldPath("data.kind")!: "a/b", FieldPath("id")!: "x&y"]
        #expect(try template.render(values).get() == "https://acme-1.hooks.example.com/v1/a%2Fb/x?ref=x%26y&n=1")
        #expect(throws: URLTemplate.Refusal.self) { try template.render([FieldPath("tenant")!: "evil.com/x", FieldPath("data.kind")!: "a", FieldPath("id")!: "1"]).get() }
        #expect(throws: URLTemplate.Refusal.self) { try template.render([FieldPath("tenant")!: "a"]).get() }
        #expect(try !URLTemplate.parse("https://api.example.com/{{a}}?b={{b}}").get().templatesHost)
    }

    @Test("templates that could move the scheme, the port or credentials are refused", arguments: [
        "{{scheme}}://example.com/", "https://example.com:{{port}}/", "https://user@{{host}}/", "https://[{{v6}}]/",
        "https://example.com/{{unclosed", "https://example.com/{{a..b}}",
    ])
    func refusedTemplates(text: String) {
        #expect(throws: URLProblem.self) { try URLTemplate.parse(text).get() }
    }

    static func load(_ endpoint: String) -> Result<HeraldConfig, ConfigErrors> {
        ConfigLoader.load(text: """
            version: 1
            source: { file: ./events.jsonl }
            endpoints:
              t: \(endpoint)
            routes:
              - { name: r, events: ["*"], to: t }
            """, path: "u.yaml", environment: [:])
    }

    @Test("a templated host needs allowed_hosts; check says so at the url")
    func hostNeedsAllowList() throws {
        guard case .failure(let failure) = Self.load(#"{ url: "https://{{data.host}}/hooks" }"#) else {
            Issue.record("accepted a templated host without allowed_hosts")
            return
        }
        #expect("\(failure)".contains("u.yaml:4:13: endpoint 't' takes its url's host from the event: list the hosts it may send to in 'allowed_hosts'"), "\(failure)")
        let config = try Self.load(#"{ url: "https://{{data.host}}/hooks", allowed_hosts: ["*.example.com"], headers: { X-Tenant: "t-{{data.t}}" } }"#).get()
        let endpoint = config.endpoints[0]
        #expect(endpoint.refusesPrivateAddresses)
        #expect(endpoint.templateFields == [FieldPath("data.host")!, FieldPath("data.t")!])
        #expect(endpoint.headers.allSatisfy { $0.name != "X-Tenant" })
        guard case .failure(let bad) = Self.load(#"{ url: "https://{{h}}/", allowed_hosts: ["evil.com/x"] }"#) else {
            Issue.record("accepted a bad allowed_hosts entry")
            return
        }
        #expect("\(bad)".contains("each entry of 'allowed_hosts' is a host name or a glob"), "\(bad)")
        let fixed = try Self.load(#"{ url: "https://api.example.com/{{t}}", allowed_hosts: ["api.example.com"] }"#).get()
        #expect(ConfigWarnings.list(for: fixed) == ["endpoint 't': allowed_hosts has no effect: its url's host is fixed (it applies to a url with a {{placeholder}} in its host)"])
        let open = try Self.load(#"{ url: "https://{{h}}/", allowed_hosts: ["*"], allow_private: true }"#).get()
        #expect(ConfigWarnings.list(for: open).first?.contains("allow_private is on") == true)
    }

    @Test("the event's values render the request; a host outside allowed_hosts and a header value with a line break are refused")
    func rendering() throws {
        let config = try Self.load(#"{ url: "https://{{data.host}}/t/{{data.t}}", allowed_hosts: ["*.example.com"], headers: { X-Tenant: "t-{{data.t}}" } }"#).get()
        let decoder = EventDecoder(typeField: FieldPath("type")!, idField: FieldPath("id")!)
        func request(_ line: String) throws(RequestRenderer.Failure) -> DeliveryRequest {
            let event = try! decoder.decode(Array(line.utf8)).get()
            return try RequestRenderer.request(for: event, route: config.routes[0], endpoint: config.endpoints[0], timestamp: 1)
        }
        let good = try request(#"{"type":"a","data":{"host":"eu.example.com","t":"../x"}}"#)
        #expect(good.url == "https://eu.example.com/t/..%2Fx")
        #expect(good.headers.contains(HTTPHeader("X-Tenant", "t-../x")))
        #expect(!good.headers.contains { $0.name.hasPrefix(":") })
        do {
            _ = try request(#"{"type":"a","data":{"host":"metadata.google.internal","t":"x"}}"#)
            Issue.record("a host outside allowed_hosts was accepted")
        } catch {
            #expect(error.refused)
            #expect(error.message.contains("host 'metadata.google.internal' is not in allowed_hosts (*.example.com)"))
        }
        do {
            _ = try request(#"{"type":"a","data":{"host":"a.example.com","t":"x\r\nX-Evil: 1"}}"#)
            Issue.record("a header value with a line break was accepted")
        } catch {
            #expect(error.refused)
        }
        do {
            _ = try request(#"{"type":"a","data":{"host":"a.example.com","t":{"nested":1}}}"#)
            Issue.record("an object was accepted as a url value")
        } catch {
            #expect(!error.refused)
            #expect(error.message.contains("{{data.t}} in its url or headers needs a string, number or boolean; the event has an object"))
        }
    }

    @Test("addresses a templated host may not reach", arguments: [
        ("127.0.0.1", false), ("10.1.2.3", false), ("172.16.0.1", false), ("172.31.255.255", false), ("172.32.0.1", true),
        ("192.168.1.1", false), ("169.254.169.254", false), ("100.64.0.1", false), ("100.100.100.200", false), ("0.0.0.0", false),
        ("192.0.0.192", false), ("224.0.0.1", false), ("8.8.8.8", true), ("93.184.216.34", true),
        ("::1", false), ("::", false), ("fe80::1", false), ("fd00:ec2::254", false), ("ff02::1", false),
        ("::ffff:127.0.0.1", false), ("::ffff:8.8.8.8", true), ("64:ff9b::a9fe:a9fe", false), ("2606:4700::1111", true),
    ])
    func addresses(address: String, allowed: Bool) {
        #expect((AddressPolicy.refusal(ofLiteral: address) == nil) == allowed, "\(address): \(AddressPolicy.refusal(ofLiteral: address) ?? "allowed")")
    }
}
