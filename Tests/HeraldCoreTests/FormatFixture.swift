import HeraldCore

/// One config with an endpoint per format and one awkward event, shared by the format tests.
enum FormatFixture {
    static let config = try! ConfigLoader.load(text: """
        version: 1
        source: { file: ./events.jsonl }
        endpoints:
          json: { url: "https://r.example.com/json" }
          form: { url: "https://r.example.com/form", format: form }
          xml: { url: "https://r.example.com/xml", format: xml, xml: { root: order } }
          ce-binary: { url: "https://r.example.com/ce", format: cloudevents, cloudevents: { source: "//shop.example.com/orders", time_field: created_at } }
          ce-structured: { url: "https://r.example.com/ces", format: cloudevents, cloudevents: { mode: structured, source: shop } }
          slack: { url: "https://r.example.com/slack", format: slack }
          teams: { url: "https://r.example.com/teams", format: teams }
          mattermost: { url: "https://r.example.com/mm", format: mattermost }
          discord: { url: "https://r.example.com/discord", format: discord }
        routes:
          - name: orders
            events: ["order.*"]
            to: [json, form, xml, ce-binary, ce-structured, slack, teams, mattermost, discord]
            transform:
              pick: [id, type, created_at, data]
              drop: [data.internal]
              rename: { data.order_id: data.orderId }
              set: { source: legacy-shop, data.title: "Order {{data.orderId}} for {{data.customer.name}}", data.total: "{{data.total_cents}}" }
          - name: chat
            events: ["order.*"]
            to: [slack, teams, mattermost, discord]
            template: "New order *{{data.order_id}}* from {{data.customer.name}} ({{count(data.items)}}:{{#data.items}} {{sku}}{{/data.items}})"
        """, path: "formats.yaml", environment: [:]).get()

    static let line = #"""
        {"id":"o-1","type":"order.created","created_at":"2026-11-25T09:00:00Z","internal":true,"data":{"order_id":42,"total_cents":1299,"internal":"x","customer":{"name":"Ana & Bo <AB> \"Ltd\"","first name":"Ana","2nd-line":"café ☕ 100%"},"items":[{"sku":"A-1","qty":1},{"sku":"B 2","qty":2}],"tags":[["x","y"],[]],"note":null,"gift":false,"xmlish":"<x/>"}}
        """#

    static var event: Event {
        try! EventDecoder(typeField: FieldPath("type")!, idField: FieldPath("id")!).decode(Array(line.utf8)).get()
    }

    static func request(route: String = "orders", endpoint: String) throws -> DeliveryRequest {
        let route = config.routes.first { $0.name == route }!
        return try RequestRenderer.request(for: event, route: route, endpoint: config.endpoint(named: endpoint)!, timestamp: 1_700_000_000)
    }
}
