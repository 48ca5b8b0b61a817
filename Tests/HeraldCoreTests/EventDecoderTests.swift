import HeraldCore
import Testing

@Suite("event decoding")
struct EventDecoderTests {
    let decoder = EventDecoder(typeField: FieldPath("type")!, idField: FieldPath("id")!, maxLineBytes: 256)

    @Test("a JSON object line becomes an event with its type, id and exact bytes")
    func valid() throws {
        let line = Array(#"{"type":"order.created","id":"o-1","data":{"total":12.50,"tags":["a"]}}"#.utf8)
        let event = try decoder.decode(line, lineNumber: 7).get()
        #expect(event.type == "order.created")
        #expect(event.id == "o-1")
        #expect(!event.idIsDerived)
        #expect(event.line == line)
        #expect(event.lineNumber == 7)
        #expect(event[FieldPath("data.total")!] == .number(JSONNumber(text: "12.50")))
        #expect(event[FieldPath("data.tags.0")!] == .string("a"))
    }

    @Test("type and id come from dotted paths; numeric ids are kept as text")
    func dottedPaths() throws {
        let nested = EventDecoder(typeField: FieldPath("meta.kind")!, idField: FieldPath("meta.seq")!)
        let event = try nested.decode(Array(#"{"meta":{"kind":"booking.created","seq":1234567890123}}"#.utf8)).get()
        #expect(event.type == "booking.created")
        #expect(event.id == "1234567890123")
    }

    @Test("an event without an id gets one derived from the line, the same every time")
    func derivedID() throws {
        let line = Array(#"{"type":"user.login","user":"ana"}"#.utf8)
        let first = try decoder.decode(line).get(), second = try decoder.decode(line).get()
        let other = try decoder.decode(Array(#"{"type":"user.login","user":"bob"}"#.utf8)).get()
        #expect(first.idIsDerived)
        #expect(first.id == second.id)
        #expect(first.id != other.id)
        #expect(first.id.hasPrefix("sha256:") && first.id.count == 39)
    }

    static let rejections: [(String, EventRejection.Reason, String)] = [
        (#"{"type":"a""#, .invalidJSON, "not JSON: unexpected end of line inside an object at column 12"),
        ("not json", .invalidJSON, "not JSON: invalid literal, expected 'null' at column 1"),
        (#"{"type":"a",}"#, .invalidJSON, "not JSON: expected a quoted key at column 13"),
        (#"{"type":"a"} trailing"#, .invalidJSON, "not JSON: unexpected data after the JSON value at column 14"),
        ("{\"type\":\"tab\tinside\"}", .invalidJSON, "not JSON: control character in a string (escape it) at column 13"),
        (#"{"type":"\ud800"}"#, .invalidJSON, "not JSON: lone surrogate in \\u escape at column 16"),
        (#"{"n":01}"#, .invalidJSON, "not JSON: expected ',' or '}' in an object at column 7"),
        ("[1,2]", .notAnObject, "expected a JSON object, found an array"),
        (#""order.created""#, .notAnObject, "expected a JSON object, found a string"),
        (#"{"id":"x"}"#, .missingType, "no event type at 'type'"),
        (#"{"type":7}"#, .invalidType, "event type at 'type' must be a non-empty string, found a number"),
        (#"{"type":""}"#, .invalidType, "event type at 'type' must be a non-empty string, found a string"),
        (#"{"type":"a","id":{"x":1}}"#, .invalidID, "event id at 'id' must be a non-empty string or a number, found an object"),
    ]

    @Test("bad lines are rejected with the reason and their line number", arguments: rejections)
    func rejected(line: String, reason: EventRejection.Reason, message: String) {
        switch decoder.decode(Array(line.utf8), lineNumber: 3) {
        case .success: Issue.record("accepted \(line)")
        case .failure(let rejection):
            #expect(rejection.reason == reason)
            #expect(rejection.message == message)
            #expect(rejection.lineNumber == 3)
            #expect(rejection.description == "line 3: \(message)")
        }
    }

    @Test("invalid UTF-8 is rejected at the offending byte", arguments: [
        ([0x7B, 0x22, 0xFF, 0x22, 0x7D], 3), ([0x7B, 0xC0, 0xAF], 2), ([0x7B, 0xED, 0xA0, 0x80], 2), ([0x7B, 0xE2, 0x82], 2),
    ] as [([UInt8], Int)])
    func invalidUTF8(bytes: [UInt8], at offset: Int) {
        guard case .failure(let rejection) = decoder.decode(bytes) else { Issue.record("accepted"); return }
        #expect(rejection.reason == .invalidUTF8)
        #expect(rejection.message == "not valid UTF-8 (byte \(offset))")
    }

    @Test("valid multi-byte UTF-8 and escapes decode exactly")
    func unicode() throws {
        let event = try decoder.decode(Array(#"{"type":"größe.ändern","s":"\u00e9\ud83d\ude00\n\"\\\/"}"#.utf8)).get()
        #expect(event.type == "größe.ändern")
        #expect(event[FieldPath("s")!] == .string("é😀\n\"\\/"))
    }

    @Test("a line over max_line_bytes is rejected, also when the source kept only a prefix")
    func tooLong() {
        let long = Array((#"{"type":"a","pad":""# + String(repeating: "x", count: 300) + #""}"#).utf8)
        guard case .failure(let rejection) = decoder.decode(long) else { Issue.record("accepted"); return }
        #expect(rejection.reason == .tooLong)
        #expect(rejection.message == "line of \(long.count) bytes exceeds max_line_bytes (256)")
        guard case .failure(let prefixed) = decoder.decode(Array(long.prefix(100)), totalLength: 10_000_000) else { Issue.record("accepted"); return }
        #expect(prefixed.message == "line of 10000000 bytes exceeds max_line_bytes (256)")
    }

    @Test("nesting beyond the limit is refused, not a crash")
    func deepNesting() {
        let deep = Array((#"{"type":"a","x":"# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}").utf8)
        let big = EventDecoder(typeField: FieldPath("type")!, idField: FieldPath("id")!, maxLineBytes: 1 << 20)
        guard case .failure(let rejection) = big.decode(deep) else { Issue.record("accepted"); return }
        #expect(rejection.message.contains("nesting deeper than 256 levels"))
    }
}
