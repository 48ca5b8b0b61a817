import Foundation
import Testing

@Suite("herald check, explain and --version as a user runs them")
struct CommandLineTests {
    static let shippedConfigs = ["config.yaml", "examples/shop/config.yaml", "examples/logistics/config.yaml", "examples/bookings/config.yaml", "examples/fleet/config.yaml"]
    static let badFixtures = ((try? FileManager.default.contentsOfDirectory(atPath: HeraldProcess.root.appendingPathComponent("Tests/HeraldCoreTests/Fixtures/bad").path)) ?? []).sorted()

    @Test("the shipped config and every example pass herald check", arguments: shippedConfigs)
    func shippedConfigsAreValid(path: String) async throws {
        let result = try await HeraldProcess.run(["check", "-c", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("\(path): ok"))
    }

    @Test("every bad fixture exits 1 with its located messages on stderr", arguments: badFixtures)
    func badFixtureFails(name: String) async throws {
        let path = "Tests/HeraldCoreTests/Fixtures/bad/\(name)"
        let text = try String(contentsOf: HeraldProcess.root.appendingPathComponent(path), encoding: .utf8)
        let expected = text.split(separator: "\n").filter { $0.hasPrefix("# expect: ") }.map { "\(path):" + $0.dropFirst("# expect: ".count) }
        let result = try await HeraldProcess.run(["check", "-c", path])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(Array(lines.dropLast()) == expected)
        #expect(lines.last == "\(expected.count) error\(expected.count == 1 ? "" : "s") in \(path)")
    }

    @Test("check --json reports errors with file, line, column, message and suggestion")
    func checkJSON() async throws {
        let result = try await HeraldProcess.run(["check", "--json", "-c", "Tests/HeraldCoreTests/Fixtures/bad/unknown-key.yaml"])
        #expect(result.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["valid"] as? Bool == false)
        let first = try #require((object["errors"] as? [[String: Any]])?.first)
        #expect(first["line"] as? Int == 6)
        #expect(first["column"] as? Int == 5)
        #expect(first["message"] as? String == "unknown key 'urll' in endpoint 'erp'")
        #expect(first["suggestion"] as? String == "did you mean 'url'?")
        let valid = try await HeraldProcess.run(["check", "--json"])
        #expect(valid.status == 0)
        #expect(valid.stdout.hasPrefix(#"{"valid":true,"errors":[]"#))
    }

    @Test("a missing config file exits 1 with a clear message")
    func missingConfig() async throws {
        let result = try await HeraldProcess.run(["check", "-c", "/nonexistent/herald.yaml"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("/nonexistent/herald.yaml: no such config file"))
    }

    @Test("explain prints the exact request for a sample event and sends nothing")
    func explain() async throws {
        let event = #"{"type":"order.created","id":"o-1","data":{"order_id":42,"currency":"EUR"}}"#
        let result = try await HeraldProcess.run(["explain", event], environment: ["HERALD_DEMO_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "event order.created id o-1")
        #expect(lines.contains("route orders -> endpoint local-receiver"))
        #expect(lines.contains("  POST http://127.0.0.1:9000/hooks"))
        #expect(lines.contains("  Content-Type: application/json"))
        #expect(lines.contains { $0.hasPrefix("  webhook-id: ") && $0.count == "  webhook-id: ".count + 15 })
        #expect(lines.contains { $0.hasPrefix("  webhook-signature: v1,") })
        #expect(lines.contains(#"  {"id":"o-1","type":"order.created","data":{"currency":"EUR","orderId":42},"source":"starter-config"}"#))
        #expect(!result.stdout.contains("whsec_"))
    }

    @Test("explain reads events from stdin, one per line, and exits 1 when one is rejected")
    func explainStdin() async throws {
        let input = "{\"type\":\"user.login\",\"id\":\"u1\",\"data\":{\"user_id\":7}}\n\n{\"type\":\"unknown.thing\",\"id\":\"x\"}\nnot json\n"
        let result = try await HeraldProcess.run(["explain"], stdin: input)
        #expect(result.status == 1)
        #expect(result.stdout.contains("route user-activity -> endpoint local-receiver"))
        #expect(result.stdout.contains(#"  {"type":"user.login","id":"u1","data":{"user_id":7}}"#))
        #expect(result.stdout.contains("event unknown.thing id x\nmatches no route"))
        #expect(result.stdout.contains("rejected (invalid_json): not JSON:"))
    }

    @Test("usage errors exit 2; --version names libcurl and its features")
    func usage() async throws {
        #expect(try await HeraldProcess.run(["frobnicate"]).status == 2)
        #expect(try await HeraldProcess.run(["check", "--no-such-flag"]).status == 2)
        let version = try await HeraldProcess.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.contains("libcurl 7.") || version.stdout.contains("libcurl 8."))
        #expect(version.stdout.contains("http2"))
    }
}
