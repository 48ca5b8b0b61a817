import Foundation
import HeraldCore
import Testing

/// Each bad-config fixture names its exact located messages in `# expect:` lines.
@Suite("bad config fixtures")
struct ConfigFixtureTests {
    static let badFixtures = Repository.files(in: Repository.fixtures.appendingPathComponent("bad"), ending: ".yaml")

    @Test("there is a fixture for every validation rule")
    func fixturesExist() {
        #expect(Self.badFixtures.count >= 20)
    }

    @Test("each bad config is rejected with exactly its located messages", arguments: badFixtures)
    func badFixture(name: String) throws {
        let path = Repository.fixtures.appendingPathComponent("bad/\(name)").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let expected = text.split(separator: "\n").filter { $0.hasPrefix("# expect: ") }.map { String($0.dropFirst("# expect: ".count)) }
        #expect(!expected.isEmpty, "fixture \(name) has no # expect: line")
        switch ConfigLoader.load(text: text, path: name, environment: [:]) {
        case .success:
            Issue.record("\(name) was accepted")
        case .failure(let errors):
            let actual = errors.diagnostics.map { String($0.description.dropFirst(name.count + 1)) }
            #expect(actual == expected)
        }
    }
}
