import Testing

@testable import HeraldAdmin

@Suite("query strings")
struct QueryStringTests {
    @Test("names and values are percent-decoded, + is a space, empty pieces are skipped")
    func decodes() throws {
        #expect(try QueryString.parse(nil) == [:])
        #expect(try QueryString.parse("") == [:])
        #expect(try QueryString.parse("a=1&&b=x%20y+z&c=&d") == ["a": "1", "b": "x y z", "c": "", "d": ""])
        #expect(try QueryString.parse("event_type=order.%2A&since=1h") == ["event_type": "order.*", "since": "1h"])
        #expect(try QueryString.parse("e=caf%C3%A9") == ["e": "café"])
    }

    @Test("bad input is refused with a reason", arguments: [
        ("a=%zz", "bad percent-encoding in '%zz'"),
        ("a=%4", "bad percent-encoding in '%4'"),
        ("a=%FF", "'%FF' does not decode to UTF-8 text"),
        ("limit=1&limit=2", "parameter 'limit' is given more than once"),
        ("=x", "a query parameter has no name"),
    ])
    func refuses(query: String, message: String) {
        #expect(throws: QueryString.Problem(message: message)) { try QueryString.parse(query) }
    }
}
