import Foundation
import HeraldHTTP
import Testing

@Suite("config reload")
struct ReloadTests {
    static func config(first: String, second: String, routeTo target: String, extra: String = "") -> String {
        """
        version: 1
        state_dir: ./state
        source: { file: ./events.jsonl }
        endpoints:
          first: { url: "\(first)", concurrency: 4 }
          second: { url: "\(second)", concurrency: 4 }
        routes:
          - { name: route-\(target), events: ["*"], to: \(target) }
        \(extra)
        """
    }

    @Test("50 reloads under load, a third invalid: every event delivered exactly once to the endpoint that matched when it was read")
    func reloadUnderLoad() async throws {
        let first = try Receiver(), second = try Receiver()
        defer { first.stop(); second.stop() }
        let toFirst = Self.config(first: first.url, second: second.url, routeTo: "first")
        let toSecond = Self.config(first: first.url, second: second.url, routeTo: "second")
        let invalid = toFirst.replacingOccurrences(of: "concurrency: 4 }", with: "concurrency: 4, urll: x }")
        let harness = try SidecarHarness(config: toFirst)
        try harness.start()
        // Signals sent before Herald has set up its handlers are ignored, as with any daemon.
        #expect(await waitUntil { harness.logCount("herald running") == 1 })
        let total = 3_000
        let writer = Task {
            for batch in 0..<60 {
                try harness.append((0..<(total / 60)).map { #"{"type":"load","id":"ev-\#(batch)-\#($0)"}"# })
                try await Task.sleep(for: .milliseconds(40))
            }
        }
        var applied = 0, rejected = 0
        for round in 0..<50 {
            let text = round % 3 == 2 ? invalid : (round % 3 == 0 ? toSecond : toFirst)
            try harness.rewriteConfig(text)
            let before = harness.logCount("config reloaded") + harness.logCount("config reload rejected; the running config stays in force")
            harness.signal(SIGHUP)
            #expect(await waitUntil {
                harness.logCount("config reloaded") + harness.logCount("config reload rejected; the running config stays in force") > before
            })
            if round % 3 == 2 { rejected += 1 } else { applied += 1 }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await writer.value
        #expect(await waitUntil(timeout: .seconds(120)) { first.requests.count + second.requests.count >= total })
        try await Task.sleep(for: .milliseconds(300))
        let firstIDs = first.requests.map(\.id), secondIDs = second.requests.map(\.id)
        #expect(firstIDs.count + secondIDs.count == total, "no event lost or sent twice")
        #expect(Set(firstIDs).count == firstIDs.count && Set(secondIDs).count == secondIDs.count, "no duplicate at either endpoint")
        #expect(Set(firstIDs).isDisjoint(with: secondIDs))
        #expect(!firstIDs.isEmpty && !secondIDs.isEmpty, "both configs were in force at some point")
        #expect(harness.logCount("config reloaded") == applied)
        #expect(harness.logCount("config reload rejected; the running config stays in force") == rejected)
        #expect(harness.log.contains("config.yaml:5:65: unknown key 'urll' in endpoint 'first', did you mean 'url'?"), "rejections name file:line:col")
        #expect(harness.log.contains("unknown key 'urll'"))
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(harness.log.contains("pending=0"))
    }

    @Test("watch: true follows the symlink swap Kubernetes does for a mounted ConfigMap")
    func watchSymlinkSwap() async throws {
        let first = try Receiver(), second = try Receiver()
        defer { first.stop(); second.stop() }
        let harness = try SidecarHarness(config: "")
        // The ConfigMap volume layout: config.yaml -> ..data/config.yaml, ..data -> ..<timestamp>.
        let mount = harness.folder.appendingPathComponent("cm")
        let fm = FileManager.default
        func version(_ name: String, _ text: String) throws {
            try fm.createDirectory(at: mount.appendingPathComponent(name), withIntermediateDirectories: true)
            try text.write(to: mount.appendingPathComponent(name).appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        }
        let watched = { (target: String) in
            Self.config(first: first.url, second: second.url, routeTo: target)
                .replacingOccurrences(of: "state_dir: ./state", with: "state_dir: ../state\nwatch: true")
                .replacingOccurrences(of: "file: ./events.jsonl", with: "file: ../events.jsonl")
        }
        try version("..2026_11_25_a", watched("first"))
        try fm.createSymbolicLink(atPath: mount.appendingPathComponent("..data").path, withDestinationPath: "..2026_11_25_a")
        try fm.createSymbolicLink(atPath: mount.appendingPathComponent("config.yaml").path, withDestinationPath: "..data/config.yaml")
        try harness.start(config: mount.appendingPathComponent("config.yaml").path)
        try harness.append([#"{"type":"a","id":"before"}"#])
        #expect(await first.wait { $0.count == 1 })

        try version("..2026_11_25_b", watched("second"))
        let staging = mount.appendingPathComponent("..data_tmp").path
        try fm.createSymbolicLink(atPath: staging, withDestinationPath: "..2026_11_25_b")
        #expect(rename(staging, mount.appendingPathComponent("..data").path) == 0)
        #expect(await waitUntil { harness.logCount("config reloaded") == 1 })
        #expect(harness.log.contains("trigger=watch"))
        try harness.append([#"{"type":"a","id":"after"}"#])
        #expect(await second.wait { $0.count == 1 })

        // An invalid version is refused and the running config stays.
        try version("..2026_11_25_c", watched("second").replacingOccurrences(of: "events: [\"*\"]", with: "events: [\"[\"]"))
        try fm.createSymbolicLink(atPath: staging, withDestinationPath: "..2026_11_25_c")
        #expect(rename(staging, mount.appendingPathComponent("..data").path) == 0)
        #expect(await waitUntil { harness.logCount("config reload rejected; the running config stays in force") == 1 })
        try harness.append([#"{"type":"a","id":"still"}"#])
        #expect(await second.wait { $0.count == 2 })
        #expect(first.requests.count == 1)
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }

    @Test("a reload that removes an endpoint dead-letters its backlog; a reload that disables one holds it")
    func removedAndDisabled() async throws {
        let receiver = try Receiver { _, _ in ServerResponse(status: 503) }
        defer { receiver.stop() }
        let base = SidecarHarness.config(url: receiver.url, retry: "[200ms, 200ms, 200ms, 200ms, 200ms, 200ms, 200ms, 200ms, 200ms, 200ms]")
        let harness = try SidecarHarness(config: base)
        try harness.append([#"{"type":"x","id":"r-1"}"#, #"{"type":"x","id":"r-2"}"#])
        try harness.start()
        #expect(await waitUntil { harness.logCount("herald running") == 1 })
        #expect(await receiver.wait { $0.count >= 2 })
        try harness.rewriteConfig(base.replacingOccurrences(of: "concurrency: 8", with: "concurrency: 8\n    enabled: false"))
        harness.signal(SIGHUP)
        #expect(await waitUntil { harness.logCount("config reloaded") == 1 })
        try await Task.sleep(for: .milliseconds(300))
        let held = receiver.requests.count
        try await Task.sleep(for: .milliseconds(800))
        #expect(receiver.requests.count == held, "a disabled endpoint sends nothing")
        try harness.rewriteConfig("""
            version: 1
            state_dir: ./state
            shutdown_grace: 3s
            source: { file: ./events.jsonl }
            endpoints:
              other: { url: "\(receiver.url)" }
            routes:
              - { name: all, events: ["*"], to: other }
            """)
        harness.signal(SIGHUP)
        #expect(await waitUntil { harness.logCount("config reloaded") == 2 })
        #expect(harness.log.contains("removed=receiver"))
        #expect(await waitUntil { ((try? await harness.dead(["list"]).stdout) ?? "").contains("r-2") })
        let dead = try await harness.dead(["list"]).stdout
        #expect(dead.contains("r-1") && dead.contains("r-2"))
        #expect(dead.contains("removed from the config"))
        // An unreadable config is rejected like an invalid one.
        try FileManager.default.removeItem(atPath: harness.configPath)
        harness.signal(SIGHUP)
        #expect(await waitUntil { harness.logCount("config reload rejected; the running config stays in force") == 1 })
        // The rejection comes first, then each diagnostic on a line of its own.
        #expect(await waitUntil { harness.log.contains("config.yaml: no such config file") })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }
}
