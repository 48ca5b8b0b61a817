import Foundation
import HeraldCore
import Testing

/// `max_body_bytes`: rendering stops at the bound, whatever multiplies the event's size.
@Suite("max_body_bytes")
struct BodyLimitTests {
    /// One endpoint `e` in `format` with `settings`, one route `r` to it with `route` (YAML lines).
    static func config(format: String = "json", settings: String = "", route: String = "") throws -> HeraldConfig {
        let text = """
            version: 1
            source: { file: ./events.jsonl }
            endpoints:
              e:
                url: https://example.com/hooks
                format: \(format)
            \(settings.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            routes:
              - name: r
                events: ["*"]
                to: e
            \(route.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            """
        return try ConfigLoader.load(text: text, path: "c.yaml", environment: [:]).get()
    }

    static func event(_ text: String) throws -> Event {
        try EventDecoder(typeField: FieldPath("type")!, idField: FieldPath("id")!).decode(Array(text.utf8)).get()
    }

    /// Row 4 of issue 11: a long key over a 33,000-item array (about 86 KB as a line).
    static let hostile: String = {
        let key = String(repeating: "k", count: 20_000)
        let items = Array(repeating: "0", count: 33_000).joined(separator: ",")
        let big = String(repeating: "b", count: 30_000)
        return #"{"type":"t","id":"h-1","big":"\#(big)","items":[\#(items)],"\#(key)":[\#(items)]}"#
    }()

    static func render(_ config: HeraldConfig, _ line: String) throws -> Result<StoredPayload, RequestRenderer.Failure> {
        let event = try event(line)
        return Result { () throws(RequestRenderer.Failure) in
            try RequestRenderer.payload(for: event, route: config.routes[0], endpoint: config.endpoints[0])
        }
    }

    static let inputs: [(name: String, format: String, route: String)] = [
        ("form: a long key repeated for every item", "form", ""),
        ("xml: an element name repeated for every item", "xml", ""),
        ("template: a large value printed in every pass of a section", "json", #"template: "{{#items}}{{big}}{{/items}}""#),
        ("template: literal text repeated in every pass", "json", "template: \"{{#items}}" + String(repeating: "x", count: 100) + "{{/items}}\""),
        ("template under form escaping", "form", #"template: "{{#items}}{{big}}{{/items}}""#),
        ("chat preset around an amplifying template", "slack", #"template: "{{#items}}{{big}}{{/items}}""#),
        ("body: one field taken forty times", "json", "body: {" + (0..<40).map { "f\($0): \"{{items}}\"" }.joined(separator: ", ") + "}"),
        ("body: a text template inside the structure", "json", #"body: { text: "{{#items}}{{big}}{{/items}}" }"#),
        ("set: a template among the field operations", "json", #"transform: { set: { x: "{{#items}}{{big}}{{/items}}" } }"#),
        ("cloudevents around an amplifying body", "cloudevents", "body: {" + (0..<40).map { "f\($0): \"{{items}}\"" }.joined(separator: ", ") + "}"),
    ]

    @Test("each crafted input stops at the bound with its own reason", arguments: inputs.indices)
    func crafted(_ index: Int) throws {
        let (name, format, route) = Self.inputs[index]
        let config = try Self.config(format: format, route: route)
        #expect(config.endpoints[0].maxBodyBytes == 1 << 20)
        let result = try Self.render(config, Self.hostile)
        guard case .failure(let failure) = result else {
            Issue.record("\(name): rendered \(try result.get().body.count) bytes")
            return
        }
        #expect(failure.tooLarge?.limit == 1 << 20, "\(name): \(failure.message)")
        #expect(failure.message.contains("passed max_body_bytes (1MiB)"), "\(name): \(failure.message)")
        #expect(failure.message.hasPrefix("route 'r' to endpoint 'e': "), "\(name): \(failure.message)")
    }

    @Test("the same shapes under the bound render in full, exactly as without it")
    func underTheBound() throws {
        let line = #"{"type":"t","id":"s-1","big":"bb","items":[1,2,3]}"#
        let form = try Self.render(Self.config(format: "form"), line).get()
        #expect(String(decoding: form.body, as: UTF8.self) == "type=t&id=s-1&big=bb&items%5B0%5D=1&items%5B1%5D=2&items%5B2%5D=3")
        let xml = try Self.render(Self.config(format: "xml"), line).get()
        #expect(String(decoding: xml.body, as: UTF8.self).hasSuffix("<items>1</items><items>2</items><items>3</items></event>"))
        let template = try Self.render(Self.config(route: #"template: "{{#items}}[{{.}}{{big}}]{{/items}}""#), line).get()
        #expect(String(decoding: template.body, as: UTF8.self) == "[1bb][2bb][3bb]")
    }

    @Test("a body exactly at the bound passes, one byte over does not")
    func exactBound() throws {
        let line = #"{"type":"t","id":"x-1","pad":""# + String(repeating: "p", count: 1000) + #""}"#
        let exact = try Self.config(settings: "max_body_bytes: \(line.utf8.count)")
        #expect(try Self.render(exact, line).get().body.count == line.utf8.count)
        let under = try Self.config(settings: "max_body_bytes: \(line.utf8.count - 1)")
        #expect(try Self.render(under, line).failure?.tooLarge?.stage == "json")
    }

    @Test("max_body_bytes is set per endpoint or in defaults, and a bad value is a located error")
    func configuration() throws {
        let inherited = try ConfigLoader.load(text: """
            version: 1
            source: { file: ./events.jsonl }
            defaults: { max_body_bytes: 64KiB }
            endpoints:
              a: { url: "https://a.example.com/" }
              b: { url: "https://b.example.com/", max_body_bytes: 8MiB }
            routes:
              - { name: r, events: ["*"], to: [a, b] }
            """, path: "c.yaml", environment: [:]).get()
        #expect(inherited.endpoints.map(\.maxBodyBytes) == [64 << 10, 8 << 20])
        for (value, message) in [
            ("100", "'max_body_bytes' must be between 1KiB and 256MiB, found 100"),
            ("1GiB", "'max_body_bytes' must be between 1KiB and 256MiB, found 1GiB"),
            ("lots", "'max_body_bytes' must be a size like 1048576, 512KiB, 64MiB or 1GiB, found 'lots'"),
        ] {
            let result = ConfigLoader.load(text: """
                version: 1
                source: { file: ./events.jsonl }
                endpoints:
                  a: { url: "https://a.example.com/", max_body_bytes: \(value) }
                routes:
                  - { name: r, events: ["*"], to: a }
                """, path: "c.yaml", environment: [:])
            guard case .failure(let errors) = result else {
                Issue.record("\(value) was accepted")
                continue
            }
            #expect(errors.diagnostics.map(\.description) == ["c.yaml:4:55: \(message)"])
        }
    }

    @Test("the dead letter has its own reason, label and message")
    func deadLetterReason() {
        let reason = DeadLetterReason.bodyTooLarge("route 'r' to endpoint 'e': the form output passed max_body_bytes (1MiB); rendering stopped there")
        #expect(reason.label == "body_too_large")
        #expect(reason.message.contains("max_body_bytes (1MiB)"))
    }
}

private extension Result {
    var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}
