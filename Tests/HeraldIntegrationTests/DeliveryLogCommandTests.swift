import Foundation
import HeraldHTTP
import Testing

@Suite("herald log shows the attempts herald run made")
struct DeliveryLogCommandTests {
    /// Parsed `herald log --json` lines.
    func jsonLines(_ output: HeraldProcess.Output) throws -> [[String: Any]] {
        try output.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    @Test("503 then 200: two attempts newest first with statuses and response bodies; filters and paging")
    func retriedDelivery() async throws {
        let receiver = try Receiver { _, previous in
            previous == 0 ? ServerResponse(status: 503, body: Array("upstream down".utf8)) : ServerResponse(status: 200, body: Array(#"{"ok":true}"#.utf8))
        }
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url, retry: "[300ms, 1s]"))
        try harness.append([#"{"type":"order.created","id":"o-1"}"#])
        try harness.start()
        #expect(await receiver.wait { $0.count >= 2 })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)

        let all = try await harness.herald(["log", "--json"])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stderr.isEmpty)
        let items = try jsonLines(all)
        try #require(items.count == 2)
        #expect(items.map { $0["status"] as? Int } == [200, 503])
        #expect(items.map { $0["attempt"] as? Int } == [2, 1])
        #expect(items.map { $0["response_body"] as? String } == [#"{"ok":true}"#, "upstream down"])
        for item in items {
            #expect(item["delivery_id"] as? String == receiver.requests.first?.id)
            #expect(item["event_id"] as? String == "o-1")
            #expect(item["event_type"] as? String == "order.created")
            #expect(item["route"] as? String == "all")
            #expect(item["endpoint"] as? String == "receiver")
            #expect(item["url"] as? String == receiver.url)
            #expect(item["error"] is NSNull)
            #expect((item["duration_ms"] as? Double ?? -1) >= 0)
            #expect(abs((item["time_ms"] as? Int ?? 0) - Int(Date().timeIntervalSince1970 * 1000)) < 60_000)
        }
        // The retry waits 300 ms ± 20% jitter after the first attempt ended.
        #expect((items[0]["time_ms"] as? Int ?? 0) - (items[1]["time_ms"] as? Int ?? 0) >= 235)

        let failed = try jsonLines(try await harness.herald(["log", "--json", "--status", "failed"]))
        #expect(failed.map { $0["status"] as? Int } == [503])
        #expect(try jsonLines(try await harness.herald(["log", "--json", "--endpoint", "other"])).isEmpty)
        #expect(try jsonLines(try await harness.herald(["log", "--json", "--event-type", "order.*", "--since", "10m"])).count == 2)

        let first = try await harness.herald(["log", "--json", "--limit", "1"])
        #expect(try jsonLines(first).map { $0["status"] as? Int } == [200])
        let cursor = try #require(first.stderr.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        #expect(first.stderr.hasPrefix("next page: --cursor "))
        let second = try await harness.herald(["log", "--json", "--limit", "1", "--cursor", cursor])
        #expect(try jsonLines(second).map { $0["status"] as? Int } == [503])
        #expect(second.stderr.isEmpty)

        let text = try await harness.herald(["log"])
        #expect(text.status == 0)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        #expect(lines[0].contains("  200  receiver  all  order.created  event o-1  attempt 2  "))
        #expect(lines[1] == #"    response: {"ok":true}"#)
        #expect(lines[2].contains("  503  receiver  all  order.created  event o-1  attempt 1  "))
        #expect(lines[3] == "    response: upstream down")
        #expect(lines[4] == "2 attempts, newest first")
    }

    @Test("a bad filter exits 2 naming the flag; no log yet is a friendly message; delivery_log.enabled: false records nothing")
    func badFiltersAndNoLog() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url))
        let empty = try await harness.herald(["log"])
        #expect(empty.status == 0)
        #expect(empty.stdout.hasPrefix("no delivery attempts logged yet ("))
        for (flag, value, message) in [
            ("--since", "1x", "--since: '1x' is not a duration or a time: use 500ms, 10s, 5m, 2h or 3d, or an RFC 3339 time like 2026-01-31T09:00:00Z"),
            ("--status", "broken", "--status: 'broken' is not a status: use failed, delivered, error, a code like 503 or a class like 5xx"),
            ("--limit", "0", "--limit: '0' must be a whole number from 1 to 1000"),
            ("--cursor", "x", "--cursor: 'x' is not a cursor from a previous page"),
        ] {
            let result = try await harness.herald(["log", flag, value])
            #expect(result.status == 2, "\(flag) \(value)")
            #expect(result.stderr == message + "\n")
        }

        let off = try SidecarHarness(config: SidecarHarness.config(url: receiver.url) + "\ndelivery_log: { enabled: false }\n")
        try off.append([#"{"type":"a","id":"1"}"#])
        try off.start()
        #expect(await receiver.wait { $0.count >= 1 })
        off.signal(SIGTERM)
        #expect(await off.waitForExit() == 0)
        let disabled = try await off.herald(["log"])
        #expect(disabled.status == 0)
        #expect(disabled.stdout.hasPrefix("the delivery log is off (delivery_log.enabled: false in "))
        #expect(!FileManager.default.fileExists(atPath: off.stateDir + "/log"))
    }

    @Test("a URL that came from the environment is a secret: the log shows it redacted, also where a response echoes it")
    func redactedURL() async throws {
        let echoed = Locked("")
        let receiver = try Receiver { _, _ in ServerResponse(status: 200, body: Array("accepted at \(echoed.withLock { $0 })".utf8)) }
        defer { receiver.stop() }
        echoed.withLock { $0 = receiver.url }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: "${HERALD_TEST_UNSET_HOOK:-\(receiver.url)}"))
        try harness.append([#"{"type":"a","id":"1"}"#])
        try harness.start()
        #expect(await receiver.wait { $0.count >= 1 })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        let items = try jsonLines(try await harness.herald(["log", "--json"]))
        #expect(items.map { $0["url"] as? String } == ["[redacted]"])
        #expect(items.map { $0["response_body"] as? String } == ["accepted at [redacted]"])
        #expect(!(try String(contentsOfFile: harness.stateDir + "/log/deliveries.jsonl", encoding: .utf8)).contains(receiver.url))
    }

    @Test("a receiver body with ESC, BEL, C1 and U+2028 and an event id with CR and ESC reach neither the run log nor herald log's output raw")
    func controlCharacters() async throws {
        let body = "ok \u{1B}[2J\u{1B}]0;pwned\u{07} \u{9B}31m \u{2028}\u{2029} \u{7F}end"
        // A first 500 makes herald log the retry with the event id.
        let receiver = try Receiver { _, previous in ServerResponse(status: previous == 0 ? 500 : 200, body: Array(body.utf8)) }
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url))
        try harness.append([#"{"type":"order.created","id":"o-\r\u001b[31mred\u2028"}"#])
        try harness.start(arguments: ["--log-level", "debug"])
        #expect(await receiver.wait { $0.count == 2 })
        #expect(await waitUntil { harness.log.contains("o-\\r\\u001b[31mred\\u2028") })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)

        func rawControls(_ text: String) -> [Unicode.Scalar] {
            text.unicodeScalars.filter { $0 != "\n" && ($0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x2028 || $0.value == 0x2029) }
        }
        #expect(rawControls(harness.log).isEmpty, "run log: \(rawControls(harness.log))")
        let text = try await harness.herald(["log"])
        #expect(text.status == 0)
        #expect(rawControls(text.stdout).isEmpty, "herald log: \(rawControls(text.stdout))")
        #expect(text.stdout.contains(#"    response: ok \u001b[2J\u001b]0;pwned\u0007 \u009b31m \u2028\u2029 \u007fend"#))
        #expect(text.stdout.contains(#"event o-\r\u001b[31mred\u2028"#))
        let json = try await harness.herald(["log", "--json"])
        #expect(rawControls(json.stdout).isEmpty, "herald log --json: \(rawControls(json.stdout))")
        #expect(try jsonLines(json).first?["response_body"] as? String == body, "the JSON still decodes to the body")
    }
}

extension SidecarHarness {
    /// Runs another herald command on this harness's config.
    func herald(_ arguments: [String]) async throws -> HeraldProcess.Output {
        try await HeraldProcess.run(arguments + ["-c", configPath], directory: folder)
    }
}
