import Foundation
import HeraldHTTP
import Testing

@Suite("formats delivered by herald run")
struct FormatDeliveryTests {
    @Test("xml and form endpoints receive their bodies and content types; a strict template's failure is dead-lettered and the stream goes on")
    func formatsAndStrictFailure() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: """
            version: 1
            state_dir: ./state
            shutdown_grace: 3s
            source: { file: ./events.jsonl }
            defaults: { retry: { schedule: [100ms], max_age: 1h } }
            endpoints:
              erp-xml: { url: "\(receiver.url)", format: xml, xml: { root: order } }
              legacy-form: { url: "\(receiver.url)", format: form }
              notes: { url: "\(receiver.url)" }
            routes:
              - name: orders
                events: ["order.*"]
                to: [erp-xml, legacy-form]
                transform: { pick: [id, data], rename: { data.order_id: data.ref } }  # a renamed field moves to the end
              - name: strict-notes
                events: ["order.*"]
                to: notes
                strict: true
                template: '{"note": "{{data.note}}"}'
            """)
        try harness.append([
            #"{"type":"order.created","id":"f-1","data":{"order_id":7,"note":"fragile & <heavy>","items":[{"sku":"A"},{"sku":"B"}]}}"#,
            #"{"type":"order.created","id":"f-2","data":{"order_id":8}}"#,
            #"{"type":"order.created","id":"f-3","data":{"order_id":9,"note":"ok"}}"#,
        ])
        try harness.start()
        #expect(await receiver.wait { $0.count >= 8 })
        func bodies(_ contentType: String) -> Set<String> {
            Set(receiver.requests.filter { $0.headers.first(named: "content-type") == contentType }.map { String(decoding: $0.body, as: UTF8.self) })
        }
        let xmlHead = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        #expect(bodies("application/xml") == [
            xmlHead + "<order><id>f-1</id><data><note>fragile &amp; &lt;heavy&gt;</note><items><sku>A</sku></items><items><sku>B</sku></items><ref>7</ref></data></order>",
            xmlHead + "<order><id>f-2</id><data><ref>8</ref></data></order>",
            xmlHead + "<order><id>f-3</id><data><note>ok</note><ref>9</ref></data></order>",
        ])
        #expect(bodies("application/x-www-form-urlencoded") == [
            "id=f-1&data%5Bnote%5D=fragile+%26+%3Cheavy%3E&data%5Bitems%5D%5B0%5D%5Bsku%5D=A&data%5Bitems%5D%5B1%5D%5Bsku%5D=B&data%5Bref%5D=7",
            "id=f-2&data%5Bref%5D=8",
            "id=f-3&data%5Bnote%5D=ok&data%5Bref%5D=9",
        ])
        #expect(bodies("application/json") == [#"{"note": "fragile & <heavy>"}"#, #"{"note": "ok"}"#])

        let listed = try await poll({ try await harness.dead(["list"]).stdout }, until: { $0.contains("1 dead letter") })
        #expect(listed.contains("1 dead letter"))
        #expect(listed.contains("template of route 'strict-notes' failed: the template names 'data.note', which this event does not have (strict: true)"))
        #expect(receiver.requests.count == 8)
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }
}
