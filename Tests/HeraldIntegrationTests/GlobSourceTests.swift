import Foundation
import HeraldSource
import Testing

/// Issue 13, sources v2, against the binary: several named sources, a glob of files each with its
/// own checkpoint, and the metadata (`$source`, `$file`) that routes and the delivery log see.
@Suite("several sources and globs")
struct GlobSourceTests {
    static func config(url: String, globSettings: String = "") -> String {
        """
        version: 1
        state_dir: ./state
        shutdown_grace: 3s
        source:
          - { name: app, file: ./logs/*.jsonl, release_after: 2s\(globSettings) }
          - { name: billing, file: ./billing.jsonl }
        endpoints:
          receiver:
            url: "\(url)/{{$source}}"
            concurrency: 8
            retry: { schedule: [100ms, 200ms, 300ms], max_age: 1h }
        routes:
          - { name: app, events: ["*"], to: receiver, where: { $source: app, $file: { suffix: ".jsonl" } } }
          - { name: billing, events: ["*"], to: receiver, where: { $source: billing } }
        """
    }

    static func line(_ file: String, _ n: Int) -> String { #"{"type":"t","id":"\#(file)-\#(n)"}"# }

    static func append(_ lines: [String], to path: String) throws {
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(lines.map { $0 + "\n" }.joined().utf8))
    }

    /// The event id in each request's body.
    static func eventIDs(_ requests: [Receiver.Request]) -> [String] {
        requests.compactMap { request in
            (try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])?["id"] as? String
        }
    }

    @Test("20 files written at once, two rotated by rename, one created and one deleted mid-run: every line once; a restart resumes each file at its own checkpoint")
    func globOfFiles() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: Self.config(url: receiver.url))
        let logs = harness.folder.appendingPathComponent("logs").path
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let names = (0..<20).map { String(format: "f%02d", $0) }
        // Some lines before start-up, the rest while running.
        for name in names { try Self.append((0..<50).map { Self.line(name, $0) }, to: "\(logs)/\(name).jsonl") }
        try Self.append([Self.line("billing", 0)], to: harness.folder.appendingPathComponent("billing.jsonl").path)
        try harness.start()
        #expect(await waitUntil { harness.log.contains("herald running") })

        // Concurrent writers, 4 rounds of 50 lines per file; f03 and f07 are rotated by rename
        // after round 2 and go on in a new file under the same name.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in names {
                group.addTask {
                    for round in 1...4 {
                        if round == 3, name == "f03" || name == "f07" {
                            try FileManager.default.moveItem(atPath: "\(logs)/\(name).jsonl", toPath: "\(logs)/\(name).jsonl.1")
                        }
                        try Self.append((round * 50..<(round + 1) * 50).map { Self.line(name, $0) }, to: "\(logs)/\(name).jsonl")
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
            }
            try await group.waitForAll()
        }
        // A file created mid-run is picked up.
        try Self.append((0..<100).map { Self.line("new", $0) }, to: "\(logs)/new.jsonl")
        var expected = Set(names.flatMap { name in (0..<250).map { "\(name)-\($0)" } } + (0..<100).map { "new-\($0)" } + ["billing-0"])
        #expect(await receiver.wait { Set(Self.eventIDs($0)).isSuperset(of: expected) }, "missing: \(expected.subtracting(Self.eventIDs(receiver.requests)).sorted().prefix(10))")

        // One deleted, once read: released after release_after (2 s).
        try FileManager.default.removeItem(atPath: "\(logs)/f19.jsonl")
        #expect(await waitUntil { harness.log.contains("releasing a file gone for good") && harness.log.contains("f19.jsonl") }, "\(harness.log.suffix(2000))")
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: "\(harness.stateDir)/checkpoints/app").filter { $0.hasSuffix(".json") }
        #expect(checkpoints.count == 20, "19 of the 20 files and the new one; f19's was removed: \(checkpoints)")

        // While stopped: more lines in three files; each is read from its own checkpoint.
        for name in ["f00", "f03", "new"] { try Self.append((1000..<1010).map { Self.line(name, $0) }, to: "\(logs)/\(name).jsonl") }
        expected.formUnion(["f00", "f03", "new"].flatMap { name in (1000..<1010).map { "\(name)-\($0)" } })
        try harness.start()
        #expect(await receiver.wait { Set(Self.eventIDs($0)).isSuperset(of: expected) })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)

        let ids = Self.eventIDs(receiver.requests)
        #expect(ids.count == expected.count, "every line once: \(ids.count) requests for \(expected.count) lines")
        #expect(Set(ids) == expected)
        #expect(receiver.requests.filter { $0.target == "/hooks/billing" }.count == 1)
        #expect(receiver.requests.filter { $0.target == "/hooks/app" }.count == expected.count - 1)
        // The delivery log names each delivery's source and file.
        let deliveries = try String(contentsOfFile: "\(harness.stateDir)/log/deliveries.jsonl", encoding: .utf8)
        #expect(deliveries.contains(#""source":"app","file":"\#(logs)/f05.jsonl""#))
        #expect(deliveries.contains(#""source":"billing","file":"\#(harness.folder.path)/billing.jsonl""#))
    }

    @Test("max_open_files: 1 with three files: each is read in turn, a quiet one handing its slot to the next")
    func boundedOpenFiles() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: Self.config(url: receiver.url, globSettings: ", max_open_files: 1"))
        let logs = harness.folder.appendingPathComponent("logs").path
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        for name in ["a", "b", "c"] { try Self.append((0..<20).map { Self.line(name, $0) }, to: "\(logs)/\(name).jsonl") }
        try harness.start(arguments: ["--log-level", "debug"])
        let expected = Set(["a", "b", "c"].flatMap { name in (0..<20).map { "\(name)-\($0)" } })
        // Each file waits for the one before it to be quiet for 5 s.
        #expect(await receiver.wait(timeout: .seconds(120)) { Set(Self.eventIDs($0)).isSuperset(of: expected) })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(Self.eventIDs(receiver.requests).count == expected.count)
        #expect(harness.logCount("closing an idle file for a waiting one") >= 2)
    }

    @Test("turning a single file source into a list moves its checkpoint: nothing is read again")
    func legacyCheckpointMoves() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url))
        try harness.append((0..<10).map { Self.line("e", $0) })
        try harness.start()
        #expect(await receiver.wait { $0.count >= 10 })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        try harness.rewriteConfig(SidecarHarness.config(url: receiver.url, source: "file: ./events.jsonl")
            .replacingOccurrences(of: "source: { file: ./events.jsonl }", with: "source:\n  - { name: main, file: ./events.jsonl }"))
        try harness.append((10..<15).map { Self.line("e", $0) })
        try harness.start()
        #expect(await receiver.wait { $0.count >= 15 })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        let ids = Self.eventIDs(receiver.requests)
        #expect(ids.count == 15 && Set(ids) == Set((0..<15).map { "e-\($0)" }), "nothing read twice: \(ids)")
        #expect(harness.log.contains("moved the single source's checkpoint to the source's own"))
        #expect(!FileManager.default.fileExists(atPath: "\(harness.stateDir)/checkpoint.json"))
    }

    @Test("a file whose checkpoint cannot be read is tried again every 5 s, logged once, and read once it can be")
    func unreadableCheckpointRetried() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: Self.config(url: receiver.url))
        let logs = harness.folder.appendingPathComponent("logs").path
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        try harness.start()
        #expect(await waitUntil { harness.log.contains("herald running") })
        // A checkpoint that does not parse, planted for a file before it appears.
        let planted = "\(harness.stateDir)/checkpoints/app/\(CheckpointDirectory.name(for: "\(logs)/late.jsonl"))"
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: planted))
        try Self.append((0..<5).map { Self.line("late", $0) }, to: "\(logs)/late.jsonl")
        #expect(await waitUntil { harness.log.contains("cannot load a file's checkpoint; trying again every 5 s") }, "\(harness.log.suffix(2000))")
        try await Task.sleep(for: .seconds(6))
        #expect(harness.log.components(separatedBy: "cannot load a file's checkpoint").count == 2, "logged once however often it is tried")
        try FileManager.default.removeItem(atPath: planted)
        #expect(await receiver.wait { Set(Self.eventIDs($0)) == Set((0..<5).map { "late-\($0)" }) })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }
}
