import Foundation
import HeraldCore
import Testing

/// Each format's body for one event, compared byte for byte with a reviewed file in
/// Fixtures/golden (HERALD_UPDATE_GOLDEN=1 rewrites them, and fails so it is never silent).
@Suite("format golden files")
struct FormatGoldenTests {
    static let cases: [(file: String, route: String, endpoint: String)] = [
        ("json.json", "orders", "json"),
        ("form.txt", "orders", "form"),
        ("xml.xml", "orders", "xml"),
        ("cloudevents-binary.json", "orders", "ce-binary"),
        ("cloudevents-structured.json", "orders", "ce-structured"),
        ("slack-summary.json", "orders", "slack"),
        ("teams-summary.json", "orders", "teams"),
        ("mattermost-summary.json", "orders", "mattermost"),
        ("discord-summary.json", "orders", "discord"),
        ("slack-template.json", "chat", "slack"),
        ("teams-template.json", "chat", "teams"),
        ("mattermost-template.json", "chat", "mattermost"),
        ("discord-template.json", "chat", "discord"),
    ]

    @Test("the body matches its golden file", arguments: cases.map(\.file))
    func golden(file: String) throws {
        let entry = try #require(Self.cases.first { $0.file == file })
        let body = try FormatFixture.request(route: entry.route, endpoint: entry.endpoint).body
        let path = Repository.fixtures.appendingPathComponent("golden/\(file)").path
        if ProcessInfo.processInfo.environment["HERALD_UPDATE_GOLDEN"] == "1" {
            _ = FileManager.default.createFile(atPath: path, contents: Data(body))
            Issue.record("rewrote \(file)")
            return
        }
        let expected = try #require(FileManager.default.contents(atPath: path), "missing golden file \(file)")
        #expect(String(decoding: body, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
    }
}
