import Foundation
import HeraldCore
import HeraldHTTP
import Testing

@testable import HeraldCore

/// `source:` as one mapping or a list of named sources, and the metadata events carry.
@Suite("sources in the config")
struct SourceConfigTests {
    static func config(source: String, routes: String = #"- { name: r, events: ["*"], to: a }"#) -> String {
        """
        version: 1
        source:
        \(source)
        endpoints:
          a: { url: "https://a.example.com/hooks" }
        routes:
          \(routes)
        """
    }

    func load(_ text: String) -> Result<HeraldConfig, ConfigErrors> {
        ConfigLoader.load(text: text, path: "/etc/herald/c.yaml", environment: [:])
    }

    func errors(_ text: String) -> [String] {
        guard case .failure(let errors) = load(text) else { return ["accepted"] }
        return errors.diagnostics.map(\.description)
    }

    @Test("one mapping is the source 'default'; a list holds named sources, each with its own settings")
    func forms() throws {
        let single = try load(Self.config(source: "  { file: ./events.jsonl }")).get()
        #expect(single.sources.map(\.name) == ["default"])
        #expect(!single.sourcesListed)
        let listed = try load(Self.config(source: """
              - { name: app, file: /var/log/app/*.jsonl, max_open_files: 8, release_after: 1m }
              - { name: billing, file: ./billing.jsonl, type_field: kind, start_at: end }
            """)).get()
        #expect(listed.sourcesListed)
        #expect(listed.sources.map(\.name) == ["app", "billing"])
        #expect(listed.sources[0].input == .file("/var/log/app/*.jsonl"))
        #expect(listed.sources[0].isGlob)
        #expect(listed.sources[0].maxOpenFiles == 8)
        #expect(listed.sources[0].releaseAfter == .seconds(60))
        #expect(listed.sources[1].input == .file("/etc/herald/billing.jsonl"))
        #expect(!listed.sources[1].isGlob)
        #expect(listed.sources[1].typeField == FieldPath("kind"))
        #expect(listed.sources[1].startAt == .end)
        let generation = ConfigGeneration(listed)
        #expect(generation.decoder(forSource: "billing").typeField == FieldPath("kind"))
        #expect(generation.decoder(forSource: "gone").typeField == FieldPath("type"))
    }

    @Test("bad source lists are refused at their line, every problem at once", arguments: [
        ("  - { file: ./a.jsonl }", ["/etc/herald/c.yaml:3:5: missing required key 'name' in each source"]),
        ("  - { name: a, file: ./a.jsonl }\n  - { name: a, file: ./b.jsonl }", ["/etc/herald/c.yaml:4:5: source name 'a' is used twice (first at line 3)"]),
        ("  - { name: a, file: ./a.jsonl }\n  - { name: b, file: ./a.jsonl }", ["/etc/herald/c.yaml:4:5: sources 'a' and 'b' read the same files ('/etc/herald/a.jsonl')"]),
        ("  - { name: a, file: ./a.jsonl }\n  - { name: b, stdin: true }", ["/etc/herald/c.yaml:4:5: 'stdin' must be the only source: its end of input ends the run"]),
        ("  - { name: a, file: /var/log/*/events.jsonl }", ["/etc/herald/c.yaml:3:22: 'source.file' may have wildcards in the file name only, not in its directory: '/var/log/*/events.jsonl'"]),
        ("  - { name: 'a b', file: ./a.jsonl }", ["/etc/herald/c.yaml:3:13: a source name must be 1 to 64 letters, digits, '_', '-' or '.', found 'a b'"]),
        ("  - { name: a, stdin: true, max_open_files: 3 }", ["/etc/herald/c.yaml:3:29: 'max_open_files' applies to file sources, not stdin"]),
        ("  - { name: a, file: ./*.jsonl, release_after: 10ms }", ["/etc/herald/c.yaml:3:48: 'release_after' must be at least 1s"]),
        ("  []", ["/etc/herald/c.yaml:3:3: 'source' as a list needs at least one source"]),
    ])
    func refused(source: String, expected: [String]) {
        #expect(errors(Self.config(source: source)) == expected)
    }

    @Test("metadata fields: an unknown one is refused with a suggestion; they are tested, never picked, dropped, renamed or set")
    func metadataPaths() {
        let route = #"- { name: r, events: ["*"], to: a, where: { $sorce: app } }"#
        #expect(errors(Self.config(source: "  { file: ./a.jsonl }", routes: route)) == [
            "/etc/herald/c.yaml:7:47: a 'where' field: '$sorce' is not one of Herald's metadata fields ($source, $file, $key), did you mean '$source'?",
        ])
        let pick = #"- { name: r, events: ["*"], to: a, transform: { pick: [$source] } }"#
        #expect(errors(Self.config(source: "  { file: ./a.jsonl }", routes: pick)) == [
            "/etc/herald/c.yaml:7:58: each entry of 'pick': '$source' is metadata, not a field of the event: test it in 'where', use it in url and header templates",
        ])
        let set = #"- { name: r, events: ["*"], to: a, transform: { set: { $file: x } } }"#
        #expect(errors(Self.config(source: "  { file: ./a.jsonl }", routes: set)) == [
            "/etc/herald/c.yaml:7:58: a 'set' field: '$file' is metadata, not a field of the event: test it in 'where', use it in url and header templates",
        ])
    }

    @Test("where tests and url templates see the event's source and file; the body is unchanged")
    func metadataInRouting() throws {
        let config = try load(Self.config(source: """
              - { name: app, file: /var/log/app/*.jsonl }
              - { name: billing, file: /var/log/billing.jsonl }
            """, routes: #"""
            - { name: r, events: ["*"], to: a, where: { $source: app, $file: { suffix: "-eu.jsonl" } } }
            """#)).get()
        let generation = ConfigGeneration(config)
        var event = try #require(try? generation.decoder.decode(Array(#"{"type":"t","id":"1"}"#.utf8)).get())
        let body = event.body
        event.metadata = EventMetadata(source: "app", file: "/var/log/app/orders-eu.jsonl")
        #expect(generation.router.match(event).map(\.route.name) == ["r"])
        event.metadata.file = "/var/log/app/orders-us.jsonl"
        #expect(generation.router.match(event).isEmpty)
        event.metadata = EventMetadata(source: "billing", file: "/var/log/app/orders-eu.jsonl")
        #expect(generation.router.match(event).isEmpty)
        #expect(event.body == body)
        #expect(event[FieldPath("$source")!] == .string("billing"))
        #expect(event[FieldPath("$key")!] == nil)
    }

    @Test("explain takes the event as coming from the source and file it is given (the first source by default)")
    func explainWithSource() throws {
        let config = try load(Self.config(source: """
              - { name: app, file: /var/log/app/*.jsonl }
              - { name: billing, file: /var/log/billing.jsonl, type_field: kind }
            """, routes: #"""
            - { name: app, events: ["*"], to: a, where: { $source: app, $file: { prefix: /var/log/app/ } } }
              - { name: billing, events: ["*"], to: a, where: { $source: billing } }
            """#)).get()
        let router = Router(config: config)
        func routes(_ line: String, source: String? = nil, file: String? = nil) -> [String] {
            let explanation = Explanation(line: Array(line.utf8), config: config, router: router, timestamp: 0, source: source, file: file)
            guard case .routed(_, let deliveries) = explanation.outcome else { return ["rejected"] }
            return deliveries.map(\.route)
        }
        #expect(routes(#"{"type":"t","id":"1"}"#) == [], "app's $file is unknown for a glob unless given")
        #expect(routes(#"{"type":"t","id":"1"}"#, file: "/var/log/app/x.jsonl") == ["app"])
        #expect(routes(#"{"kind":"t","id":"1"}"#, source: "billing") == ["billing"], "billing's own type_field")
    }
}
