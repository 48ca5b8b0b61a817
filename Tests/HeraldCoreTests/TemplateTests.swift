import Foundation
import HeraldCore
import Testing

@Suite("templates")
struct TemplateTests {
    static let event = #"{"id":"o-1","type":"order.created","data":{"order_id":42,"total":9.5,"ok":true,"name":"Ana \"A\" & <B>","customer":{"name":"Ana"},"items":[{"sku":"A"},{"sku":"B","qty":2}],"note":""}}"#

    static func render(_ routeYAML: String, format: String = "json", event: String = event) throws -> [UInt8] {
        let config = try ConfigLoader.load(text: """
            version: 1
            source: { file: ./e.jsonl }
            endpoints: { e: { url: "https://e.example.com/x", format: \(format) } }
            routes:
              - name: r
                events: ["*"]
                to: e
            \(routeYAML)
            """, path: "t.yaml", environment: [:]).get()
        let decoded = try EventDecoder(typeField: FieldPath("type")!, idField: FieldPath("id")!).decode(Array(event.utf8)).get()
        return try RequestRenderer.body(for: decoded, route: config.routes[0], endpoint: config.endpoints[0])
    }

    static func text(_ template: String, strict: Bool = false) throws -> String {
        let template = template.replacingOccurrences(of: "'", with: "''")
        return String(decoding: try render("    template: '\(template)'\n    strict: \(strict)", format: "mattermost"), as: UTF8.self)
    }

    @Test("with format json, {{x}} escapes for a JSON string and {{{x}}} inserts JSON as it is")
    func jsonTemplate() throws {
        let body = try Self.render(#"    template: '{"who": "{{data.name}}", "items": {{{data.items}}}, "n": {{data.order_id}}}'"#)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        #expect(object["who"] as? String == #"Ana "A" & <B>"#)
        #expect((object["items"] as? [[String: Any]])?.count == 2)
        #expect(object["n"] as? Int == 42)
    }

    @Test("with format xml, {{x}} escapes for XML")
    func xmlTemplate() throws {
        let body = try Self.render(#"    template: '<o who="{{data.name}}">{{data.name}}</o>'"#, format: "xml")
        #expect(String(decoding: body, as: UTF8.self) == #"<o who="Ana &quot;A&quot; &amp; &lt;B&gt;">Ana &quot;A&quot; &amp; &lt;B&gt;</o>"#)
    }

    @Test("with format form, {{x}} percent-encodes")
    func formTemplate() throws {
        let body = try Self.render(#"    template: 'name={{data.name}}&id={{id}}'"#, format: "form")
        #expect(String(decoding: body, as: UTF8.self) == "name=Ana+%22A%22+%26+%3CB%3E&id=o-1")
    }

    @Test("a template's output is exactly its text, including a leading section and trailing newline")
    func exactOutput() throws {
        let body = try Self.render("    template: |\n      {{#data.ok}}\n      ok {{id}}\n      {{/data.ok}}\n", format: "json")
        #expect(String(decoding: body, as: UTF8.self) == "ok o-1\n")
    }

    @Test("sections iterate arrays and names climb to the enclosing context")
    func sections() throws {
        #expect(try Self.text("{{#data.items}}{{sku}}/{{id}} {{/data.items}}") == #"{"text":"A/o-1 B/o-1 "}"#)
        #expect(try Self.text("{{^data.missing}}none for {{id}}{{/data.missing}}", strict: true) == #"{"text":"none for o-1"}"#)
        #expect(try Self.text("{{#data.note}}note{{/data.note}}{{^data.note}}empty{{/data.note}}") == #"{"text":"empty"}"#)
        #expect(try Self.text("{{#data.customer}}{{name}} {{data.order_id}}{{/data.customer}}", strict: true) == #"{"text":"Ana 42"}"#)
        #expect(try Self.text("{{data.items.1.qty}} {{count(data.items)}} {{uppercased(data.customer.name)}}") == #"{"text":"2 2 ANA"}"#)
    }

    @Test("a missing field renders empty by default")
    func missingIsEmpty() throws {
        #expect(try Self.text("[{{data.nope}}][{{data.customer.middle}}][{{nope.deeper}}]") == #"{"text":"[][][]"}"#)
    }

    @Test("strict: a template naming a missing field fails with the field's path", arguments: [
        ("{{data.nope}}", "data.nope"),
        ("{{data.customer.middle}}", "data.customer.middle"),
        ("{{{nope.deeper}}}", "nope.deeper"),
        ("{{#data.items}}{{price}}{{/data.items}}", "price"),
        ("{{data.name.first}}", "data.name.first"),
    ])
    func strictMissing(template: String, path: String) {
        #expect {
            try Self.text(template, strict: true)
        } throws: { error in
            (error as? RequestRenderer.Failure)?.message
                == "template of route 'r' failed: the template names '\(path)', which this event does not have (strict: true)"
        }
    }

    @Test("body: strings are templates; a lone {{path}} keeps the field's JSON type")
    func body() throws {
        let body = try Self.render("""
                body:
                  order: "{{data.order_id}}"
                  total: "{{ data.total }}"
                  ok: "{{{data.ok}}}"
                  customer: "{{data.customer}}"
                  label: "#{{data.order_id}} for {{data.customer.name}}"
                  fixed: [1, two, true]
                  missing: "{{data.nope}}"
            """)
        #expect(String(decoding: body, as: UTF8.self)
            == ##"{"order":42,"total":9.5,"ok":true,"customer":{"name":"Ana"},"label":"#42 for Ana","fixed":[1,"two",true],"missing":null}"##)
    }

    @Test("strict body: a missing field fails the delivery")
    func strictBody() {
        #expect {
            try Self.render("    strict: true\n    body: { missing: \"{{data.nope}}\" }")
        } throws: { error in
            (error as? RequestRenderer.Failure)?.message == "body of route 'r' failed: the template names 'data.nope', which this event does not have (strict: true)"
        }
    }

    @Test("set values may be templates; they see the event after pick, drop and rename")
    func setTemplates() throws {
        let body = try Self.render("""
                transform:
                  pick: [id, data.order_id, data.items]
                  rename: { data.order_id: ref }
                  set: { title: "Order {{ref}} ({{count(data.items)}} items)", copy: "{{data.items.0}}", gone: "[{{data.total}}]" }
            """)
        #expect(String(decoding: body, as: UTF8.self)
            == #"{"id":"o-1","data":{"items":[{"sku":"A"},{"sku":"B","qty":2}]},"ref":42,"title":"Order 42 (2 items)","copy":{"sku":"A"},"gone":"[]"}"#)
    }

    @Test("a template is parsed once, at load, and kept in the route")
    func compiledAtLoad() throws {
        let config = try ConfigLoader.load(text: """
            version: 1
            source: { file: ./e.jsonl }
            endpoints: { e: { url: "https://e.example.com/x" } }
            routes: [{ name: r, events: ["*"], to: e, template: "{{id}}" }]
            """, path: "t.yaml", environment: [:]).get()
        #expect(config.routes[0].template?.text == "{{id}}")
        #expect(config.routes[0].template?.render(.object(JSONObject([JSONField(key: "id", value: .string("x"))]))).text == "x")
    }
}
