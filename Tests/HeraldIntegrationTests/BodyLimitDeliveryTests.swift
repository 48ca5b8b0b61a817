import Foundation
import HeraldHTTP
import Testing

@Suite("max_body_bytes against herald run")
struct BodyLimitDeliveryTests {
    /// The peak resident set of a process in bytes (`VmHWM` in /proc/PID/status).
    static func peakRSS(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }

    @Test("row 4: a long key over a 33,000-item array sent as form, and a template section over it, are dead-lettered as body_too_large at a bounded RSS; later events are delivered and a restart does not read the line again")
    func amplificationIsBounded() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: """
            version: 1
            state_dir: ./state
            shutdown_grace: 3s
            source: { file: ./events.jsonl }
            defaults: { retry: { schedule: [100ms], max_age: 1h } }
            endpoints:
              legacy-form: { url: "\(receiver.url)", format: form }
              chat: { url: "\(receiver.url)", format: slack }
            routes:
              - { name: as-form, events: ["*"], to: legacy-form }
              - name: as-chat
                events: ["*"]
                to: chat
                template: "{{id}}: {{#items}}{{big}}{{/items}}"
            """)
        let key = String(repeating: "k", count: 25_000)
        let items = Array(repeating: "0", count: 33_000).joined(separator: ",")
        let big = String(repeating: "b", count: 30_000)
        let hostile = #"{"type":"t","id":"h-1","big":"\#(big)","items":[\#(items)],"\#(key)":[\#(items)]}"#
        #expect(hostile.utf8.count > 60_000)
        try harness.append([hostile] + (1...5).map { #"{"type":"t","id":"ok-\#($0)","items":[1]}"# })
        try harness.start()
        let pid = try #require(harness.process?.processIdentifier)
        // Each of the five valid events reaches both endpoints.
        #expect(await receiver.wait { $0.count >= 10 }, "\(harness.log)")
        let listed = try await poll({ try await harness.dead(["list"]).stdout }, until: { $0.contains("2 dead letters") })
        #expect(listed.contains("2 dead letters"), "\(listed)")
        #expect(listed.contains("route 'as-form' to endpoint 'legacy-form': the form output passed max_body_bytes (1MiB); rendering stopped there"), "\(listed)")
        #expect(listed.contains("route 'as-chat' to endpoint 'chat': the template output passed max_body_bytes (1MiB); rendering stopped there"), "\(listed)")
        let peak = try #require(Self.peakRSS(pid))
        print("max_body_bytes test: peak RSS \(peak / (1 << 20)) MiB for a \(hostile.utf8.count)-byte line")
        #expect(peak < 200 << 20, "peak RSS \(peak) bytes")
        #expect(receiver.requests.allSatisfy { $0.body.count < 1 << 20 })
        #expect(harness.process?.isRunning == true)
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)

        // A restart resumes after the line: no third dead letter, nothing sent again, the stream goes on.
        try harness.start()
        try harness.append([#"{"type":"t","id":"ok-6"}"#])
        #expect(await receiver.wait { $0.count >= 12 })
        try await Task.sleep(for: .milliseconds(300))
        #expect(receiver.requests.count == 12)
        #expect(try await harness.dead(["list"]).stdout.contains("2 dead letters"))
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }
}
