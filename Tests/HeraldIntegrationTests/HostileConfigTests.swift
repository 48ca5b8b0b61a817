import Foundation
import HeraldHTTP
import Testing

/// Row 7 (and 12) against the binary: configs built to crash or stall the loader are refused with
/// located errors by `check`, at start-up and on reload, and a running herald keeps delivering.
@Suite("hostile configs")
struct HostileConfigTests {
    /// The good config with one line of YAML added under the endpoint or the route.
    static func config(url: String, endpoint: String = "", route: String = "") -> String {
        """
        version: 1
        state_dir: ./state
        shutdown_grace: 3s
        source: { file: ./events.jsonl }
        endpoints:
          receiver:
            url: "\(url)"
        \(endpoint)
        routes:
          - name: all
            events: ["*"]
            to: receiver
        \(route)
        """
    }

    /// Nine levels of nine aliases under `body:` (596 bytes; 387 million nodes expanded).
    static let aliasBomb: String = {
        var lines = ["    body:", "      a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for level in 1...8 {
            lines.append("      a\(level): &a\(level) [\(Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", "))]")
        }
        return lines.joined(separator: "\n")
    }()

    /// Each hostile config and the located message it must be refused with.
    static func hostile(url: String) -> [(name: String, text: String, message: String)] {
        [
            ("huge rate", config(url: url, endpoint: "    rate_limit: 100000000000000000/s"),
             "config.yaml:8:17: 'rate_limit' allows at most 1000000 requests per period, found '100000000000000000/s'"),
            ("80,000 nested [", config(url: url, route: "    body: " + String(repeating: "[", count: 80_000) + String(repeating: "]", count: 80_000)),
             "config.yaml:13:72: lists and mappings are nested more than 64 levels deep"),
            ("alias bomb", config(url: url, route: aliasBomb),
             "YAML nodes (each alias counts as all it stands for)"),
            ("loopback lookalike", config(url: "http://127.0.0.1.nip.io/hooks"),
             "config.yaml:7:10: endpoint 'receiver' uses http:// to a non-loopback host; use https:// (webhooks carry business data) or set allow_insecure: true"),
        ]
    }

    @Test("check and run refuse each hostile config with exit 1 and its located error, within seconds and without a signal")
    func checkAndStart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("herald-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("config.yaml").path
        for (name, text, message) in Self.hostile(url: "http://127.0.0.1:9/hooks") {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            for command in ["check", "run"] {
                let started = ContinuousClock.now
                let result = try await HeraldProcess.run([command, "-c", path], directory: folder)
                let elapsed = ContinuousClock.now - started
                #expect(result.status == 1, "\(command) \(name): exit \(result.status)\n\(result.stderr)")
                #expect((result.stdout + result.stderr).contains(message), "\(command) \(name):\n\(result.stdout)\(result.stderr)")
                // Milliseconds when idle; 17 s was seen for a debug build spawned on 2 cores under `stress`.
                // Before the limits the alias bomb ran past 120 s and the deep nesting crashed (the
                // exit status above catches that), so 60 s still tells them apart.
                #expect(elapsed < .seconds(60), "\(command) \(name) took \(elapsed)")
            }
        }
    }

    @Test("SIGHUP with each hostile config is rejected with its located error; herald keeps running and delivering")
    func reload() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let good = Self.config(url: receiver.url)
        let harness = try SidecarHarness(config: good)
        try harness.start()
        #expect(await waitUntil { harness.logCount("herald running") == 1 })
        try harness.append([#"{"type":"order.created","id":"before"}"#])
        #expect(await receiver.wait { $0.count == 1 })

        let rejected = "config reload rejected; the running config stays in force"
        for (round, (name, text, message)) in Self.hostile(url: receiver.url).enumerated() {
            try harness.rewriteConfig(text)
            harness.signal(SIGHUP)
            // The rejection and its located error are two log lines, written one after the other.
            #expect(await waitUntil { harness.logCount(rejected) == round + 1 && harness.log.contains(message) },
                    "\(name) was not rejected with \(message)")
            #expect(harness.process?.isRunning == true, "\(name) stopped herald")
            try harness.append([#"{"type":"order.created","id":"after-\#(round)"}"#])
            #expect(await receiver.wait { $0.count == round + 2 }, "an event after \(name) was not delivered")
        }
        // The good config still reloads after them all.
        try harness.rewriteConfig(good)
        harness.signal(SIGHUP)
        #expect(await waitUntil { harness.logCount("config reloaded") == 1 })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        let bodies = receiver.requests.map { String(decoding: $0.body, as: UTF8.self) }
        #expect(bodies.count == 5)
        #expect(bodies.contains { $0.contains("after-3") })
    }
}
