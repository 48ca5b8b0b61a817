import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import HeraldCore
import Testing

/// Every format's body read back by an independent parser.
@Suite("formats parsed back")
struct FormatParseTests {
    @Test("form: application/x-www-form-urlencoded, nested keys in brackets, arrays by index")
    func form() throws {
        let request = try FormatFixture.request(endpoint: "form")
        #expect(request.header("content-type") == "application/x-www-form-urlencoded")
        let pairs = FormDecoder.decode(String(decoding: request.body, as: UTF8.self))
        let fields = Dictionary(pairs, uniquingKeysWith: { first, _ in first })
        #expect(pairs.count == fields.count)
        #expect(fields["id"] == "o-1")
        #expect(fields["data[customer][name]"] == #"Ana & Bo <AB> "Ltd""#)
        #expect(fields["data[customer][first name]"] == "Ana")
        #expect(fields["data[customer][2nd-line]"] == "café ☕ 100%")
        #expect(fields["data[items][0][sku]"] == "A-1")
        #expect(fields["data[items][1][sku]"] == "B 2")
        #expect(fields["data[items][1][qty]"] == "2")
        #expect(fields["data[tags][0][1]"] == "y")
        #expect(fields["data[note]"] == "")
        #expect(fields["data[gift]"] == "false")
        #expect(fields["data[orderId]"] == "42")
        #expect(fields["data[internal]"] == nil)
        #expect(fields["source"] == "legacy-shop")
        // Only the urlencoded serializer's safe set appears unescaped.
        #expect(request.body.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || "*-._+%&=".utf8.contains(byte)
        })
    }

    @Test("xml: declaration, configured root, repeated elements for arrays, sanitised names, escaped text")
    func xml() throws {
        let request = try FormatFixture.request(endpoint: "xml")
        #expect(request.header("content-type") == "application/xml")
        #expect(request.body.starts(with: Array(#"<?xml version="1.0" encoding="UTF-8"?>"#.utf8)))
        let tree = try #require(XMLTree.parse(Data(request.body)))
        #expect(tree.name == "order")
        let data = try #require(tree.children.first { $0.name == "data" })
        #expect(data.children.filter { $0.name == "items" }.count == 2)
        #expect(data.children.filter { $0.name == "items" }.map { $0.child("sku")?.text } == ["A-1", "B 2"])
        let customer = try #require(data.child("customer"))
        #expect(customer.child("name")?.text == #"Ana & Bo <AB> "Ltd""#)
        #expect(customer.child("first_name")?.text == "Ana")
        #expect(customer.child("_2nd-line")?.text == "café ☕ 100%")
        #expect(data.child("_xmlish")?.text == "<x/>")
        #expect(data.child("note")?.children.isEmpty == true && data.child("note")?.text == "")
        #expect(data.children.first { $0.name == "tags" }?.children.map(\.text) == ["x", "y"])
        #expect(tree.child("source")?.text == "legacy-shop")
    }

    @Test("xml element names are always valid, whatever the JSON key", arguments: ["1st", "a b", "xmlData", "ok", "-x", "", "ü.ber", "a:b", "x²", "<&>"])
    func xmlNames(key: String) throws {
        let body = XMLEncoder.encode(.object(JSONObject([JSONField(key: key, value: .string("v"))])), root: "event")
        let tree = try #require(XMLTree.parse(Data(body)), "not well-formed for key '\(key)'")
        #expect(tree.children.first?.text == "v")
    }

    @Test("json and chat presets are valid JSON with the platform's message field")
    func jsonAndChat() throws {
        let json = try FormatFixture.request(endpoint: "json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.body)) as? [String: Any])
        #expect((object["data"] as? [String: Any])?["total"] as? Int == 1299)
        #expect((object["data"] as? [String: Any])?["title"] as? String == #"Order 42 for Ana & Bo <AB> "Ltd""#)

        func message(_ endpoint: String) throws -> [String: Any] {
            let request = try FormatFixture.request(route: "chat", endpoint: endpoint)
            #expect(request.header("content-type") == "application/json")
            return try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
        }
        #expect(try message("slack")["text"] as? String == #"New order *42* from Ana &amp; Bo &lt;AB&gt; "Ltd" (2: A-1 B 2)"#)
        #expect(try message("mattermost")["text"] as? String == #"New order *42* from Ana & Bo <AB> "Ltd" (2: A-1 B 2)"#)
        #expect(try message("discord")["content"] as? String == #"New order *42* from Ana & Bo <AB> "Ltd" (2: A-1 B 2)"#)
        let teams = try message("teams")
        #expect(teams["type"] as? String == "message")
        let attachment = try #require((teams["attachments"] as? [[String: Any]])?.first)
        #expect(attachment["contentType"] as? String == "application/vnd.microsoft.card.adaptive")
        let card = try #require(attachment["content"] as? [String: Any])
        #expect(card["type"] as? String == "AdaptiveCard")
        #expect((card["body"] as? [[String: Any]])?.first?["text"] as? String == #"New order *42* from Ana & Bo <AB> "Ltd" (2: A-1 B 2)"#)
    }

    @Test("discord content is cut to its 2000-character limit")
    func discordLimit() throws {
        let config = try ConfigLoader.load(text: """
            version: 1
            source: { file: ./e.jsonl }
            endpoints: { d: { url: "https://d.example.com/x", format: discord } }
            routes: [{ name: r, events: ["*"], to: d, template: "{{text}}" }]
            """, path: "d.yaml", environment: [:]).get()
        let event = try EventDecoder(typeField: FieldPath("type")!, idField: FieldPath("id")!)
            .decode(Array(#"{"type":"t","id":"1","text":"\#(String(repeating: "é", count: 2500))"}"#.utf8)).get()
        let body = try RequestRenderer.body(for: event, route: config.routes[0], endpoint: config.endpoints[0])
        let content = try #require((try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["content"] as? String)
        #expect(content.count == 2000)
        #expect(content.hasSuffix("…"))
    }
}

/// An independent application/x-www-form-urlencoded parser (WHATWG URL §5.1).
enum FormDecoder {
    static func decode(_ text: String) -> [(String, String)] {
        text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (unescape(parts[0]), parts.count > 1 ? unescape(parts[1]) : "")
        }
    }

    private static func unescape(_ part: Substring) -> String {
        part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
    }
}

/// A parsed XML element, built by Foundation's XMLParser.
final class XMLTree {
    let name: String
    var text = ""
    var children: [XMLTree] = []

    init(name: String) { self.name = name }

    func child(_ name: String) -> XMLTree? { children.first { $0.name == name } }

    static func parse(_ data: Data) -> XMLTree? {
        let delegate = Builder()
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        guard parser.parse() else { return nil }
        return delegate.root
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var root: XMLTree?
        var stack: [XMLTree] = []

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            let element = XMLTree(name: name)
            stack.last?.children.append(element)
            if root == nil { root = element }
            stack.append(element)
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }
    }
}

@Suite("explain body preview")
struct BodyPreviewTests {
    @Test("form bodies are shown encoded and then decoded pair by pair; other bodies line by line")
    func preview() throws {
        let form = try FormatFixture.request(endpoint: "form")
        let lines = BodyPreview.lines(of: form)
        #expect(lines.first == String(decoding: form.body, as: UTF8.self))
        #expect(lines.contains("decoded:"))
        #expect(lines.contains(#"  data[customer][name] = Ana & Bo <AB> "Ltd""#))
        let xml = BodyPreview.lines(of: try FormatFixture.request(endpoint: "xml"))
        #expect(xml.count == 2 && xml[0] == #"<?xml version="1.0" encoding="UTF-8"?>"#)
    }
}
