import HeraldCore
import HeraldHTTP
import Testing

@Suite("trace propagation")
struct TraceContextTests {
    static let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test("valid and invalid traceparents", arguments: [
        (parent, true),
        ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true),
        ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later", true),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", false),
        ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false),
        ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", false),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false),
        ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false),
        ("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", false),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nX-Evil: 1", false),
        ("", false),
    ])
    func parents(text: String, valid: Bool) {
        #expect((TraceContext(traceparent: text, tracestate: nil) != nil) == valid)
    }

    @Test("tracestate goes with a valid parent only, and only when it is well formed")
    func states() throws {
        let context = try #require(TraceContext(traceparent: Self.parent, tracestate: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"))
        #expect(context.headers.map(\.name) == ["traceparent", "tracestate"])
        #expect(context.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(TraceContext(traceparent: Self.parent, tracestate: "a=1\nX: y")?.tracestate == nil)
        #expect(TraceContext(traceparent: Self.parent, tracestate: String(repeating: "a=1,", count: 200))?.tracestate == nil)
        #expect(TraceContext(traceparent: Self.parent, tracestate: "novalue")?.tracestate == nil)
    }

    @Test("the field may hold the traceparent or an object with traceparent and tracestate; the route's field wins")
    func fromEvent() throws {
        let config = try ConfigLoader.load(text: """
            version: 1
            source: { file: ./events.jsonl }
            endpoints:
              erp: { url: https://erp.example.com, trace_field: trace }
            routes:
              - { name: own, events: [own], to: erp, trace_field: meta.otel }
              - { name: inherited, events: [inherited], to: erp }
            """, path: "t.yaml", environment: [:]).get()
        let decoder = EventDecoder(typeField: FieldPath("type")!, idField: FieldPath("id")!)
        func headers(_ line: String) throws -> [String] {
            let event = try decoder.decode(Array(line.utf8)).get()
            let route = Router(config: config).match(event)[0].route
            return try RequestRenderer.payload(for: event, route: route, endpoint: config.endpoints[0]).headers.map { "\($0.name): \($0.value)" }
        }
        #expect(try headers(#"{"type":"inherited","trace":"\#(Self.parent)"}"#) == ["traceparent: \(Self.parent)"])
        #expect(try headers(#"{"type":"own","trace":"\#(Self.parent)"}"#) == [])
        #expect(try headers(#"{"type":"own","meta":{"otel":{"traceparent":"\#(Self.parent)","tracestate":"a=1"}}}"#)
            == ["traceparent: \(Self.parent)", "tracestate: a=1"])
        #expect(try headers(#"{"type":"inherited","trace":"garbage"}"#) == [])
        #expect(try headers(#"{"type":"inherited","trace":42}"#) == [])
    }
}
