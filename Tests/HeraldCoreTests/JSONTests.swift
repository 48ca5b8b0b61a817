import HeraldCore
import Testing

@Suite("JSON parsing and writing")
struct JSONTests {
    @Test("values round-trip through the writer with key order and number text kept", arguments: [
        #"{"b":1,"a":[true,false,null],"c":{"d":-0.5e10,"e":"x\"y\\z\n"}}"#,
        #"[]"#, #"{}"#, #""\u0001""#, #"12345678901234567890"#,
    ])
    func roundTrip(text: String) throws {
        let value = try JSONParser.parse(Array(text.utf8))
        #expect(JSONWriter.encode(value) == text)
    }

    @Test("numbers compare by value, not spelling")
    func numbers() throws {
        #expect(JSONNumber(text: "1.0") == JSONNumber(text: "1"))
        #expect(JSONNumber(1500) == JSONNumber(text: "1500"))
        #expect(JSONNumber(0.25).text == "0.25")
    }

    @Test("whitespace around tokens is accepted")
    func whitespace() throws {
        let value = try JSONParser.parse(Array(" { \"a\" : [ 1 , 2 ] }\r".utf8))
        #expect(value[FieldPath("a.1")!] == .number(JSONNumber(text: "2")))
    }
}
