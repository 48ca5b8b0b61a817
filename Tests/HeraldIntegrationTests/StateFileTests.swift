import Foundation
import Glibc
import HeraldHTTP
import Testing

/// The binary against hostile neighbours and small disks: dead letters kept under their cap without
/// stopping the journal, state files private whatever the umask, links at state files refused.
@Suite("state files: retention, modes, links")
struct StateFileTests {
    static func isBad(_ body: [UInt8]) -> Bool { String(decoding: body, as: UTF8.self).contains("\"bad.") }

    @Test("a receiver answering 400 dead-letters more than dead_letters.max_bytes holds: the store stays under the cap, removals are counted and logged, and valid events keep flowing")
    func retentionUnderBudget() async throws {
        let receiver = try Receiver { request, _ in ServerResponse(status: Self.isBad(request.body) ? 400 : 204) }
        defer { receiver.stop() }
        let admin = try PortReservation()
        defer { admin.release() }
        let cap = 128 << 10
        let config = SidecarHarness.config(url: receiver.url)
            + "\njournal: { max_bytes: 1MiB }\ndead_letters: { max_bytes: 128KiB, max_age: 30d }\n"
            + "admin: { listen: \"127.0.0.1:\(admin.port)\" }\n"
        let harness = try SidecarHarness(config: config)
        let pad = String(repeating: "x", count: 2000)
        let count = 200
        var lines: [String] = []
        for i in 0..<count {
            lines.append(#"{"type":"bad.thing","id":"b-\#(i)","pad":"\#(pad)"}"#)
            lines.append(#"{"type":"good.thing","id":"g-\#(i)","pad":"\#(pad)"}"#)
        }
        try harness.append(lines)
        try harness.start()
        // Every valid event arrives although 200 letters (~800 KiB on disk) went through a 128 KiB store.
        #expect(await receiver.wait { requests in requests.filter { !Self.isBad($0.body) }.count >= count })
        let client = try HTTPClient()
        defer { client.shutdown() }
        func metrics() async throws -> PrometheusText {
            let reply = await client.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(admin.port)/metrics", timeout: .seconds(30)))
            return try PrometheusText(String(decoding: reply.body, as: UTF8.self))
        }
        let text = try await poll(metrics) { $0.value("herald_deliveries_total", ["endpoint": "receiver", "outcome": "dead"]) == Double(count) }
        #expect(text.value("herald_deliveries_total", ["endpoint": "receiver", "outcome": "dead"]) == Double(count))
        #expect(text.value("herald_deliveries_total", ["endpoint": "receiver", "outcome": "delivered"]) == Double(count))
        let removed = try #require(text.value("herald_dead_letters_removed_total", ["reason": "max_bytes"]))
        #expect(text.value("herald_dead_letters_removed_total", ["reason": "max_age"]) == 0)

        let dead = harness.stateDir + "/dead"
        let letters = try FileManager.default.contentsOfDirectory(atPath: dead).filter { $0.hasSuffix(".dead") && !$0.hasPrefix(".") }
        let bytes = letters.reduce(Int64(0)) { total, name in
            var info = stat()
            return lstat(dead + "/" + name, &info) == 0 ? total + Int64(info.st_blocks) * 512 : total
        }
        #expect(bytes <= cap, "\(bytes) bytes of letters")
        #expect(removed > 0)
        #expect(Double(letters.count) + removed == Double(count))
        // One log line per pass, and their counts add up to the metric.
        let passes = harness.log.split(separator: "\n").filter { $0.contains("msg=\"dead-letter retention removed letters\"") }
        #expect(!passes.isEmpty)
        let logged = passes.compactMap { line -> Int? in
            line.split(separator: " ").first { $0.hasPrefix("removed_max_bytes=") }.flatMap { Int($0.dropFirst("removed_max_bytes=".count)) }
        }
        #expect(logged.count == passes.count)
        #expect(Double(logged.reduce(0, +)) == removed)
        // Sampled each second; a sample taken while a batch was being written can show that batch over the cap.
        let settled = try await poll(metrics) { $0.value("herald_dead_letters_bytes") == Double(bytes) }
        #expect(settled.value("herald_dead_letters_bytes") == Double(bytes))

        let listed = try await harness.dead(["list"])
        #expect(listed.status == 0)
        #expect(listed.stdout.hasSuffix("\(letters.count) dead letters\n"), "\(listed.stdout.suffix(200))")
        // Still running and reading: one more valid event gets through.
        try harness.append([#"{"type":"good.thing","id":"g-last"}"#])
        #expect(await receiver.wait { $0.contains { String(decoding: $0.body, as: UTF8.self).contains("g-last") } })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }

    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
    }

    @Test("with umask 000 every state file is 0600 and every state directory 0700")
    func modesUnderOpenUmask() async throws {
        let receiver = try Receiver { request, _ in ServerResponse(status: Self.isBad(request.body) ? 400 : 204) }
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url))
        try harness.append([#"{"type":"good.thing","id":"g-1"}"#, #"{"type":"bad.thing","id":"b-1"}"#])
        try harness.start(wrapper: ["/bin/sh", "-c", "umask 000; exec \"$0\" \"$@\""])
        #expect(await receiver.wait { $0.count >= 2 })
        let state = harness.stateDir
        #expect(await waitUntil { ((try? FileManager.default.contentsOfDirectory(atPath: state + "/dead")) ?? []).contains { $0.hasSuffix(".dead") } })
        #expect(await waitUntil { FileManager.default.fileExists(atPath: state + "/checkpoint.json") })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)

        var directories = [state]
        var files: [String] = []
        for sub in ["journal", "dead", "replay", "log"] {
            directories.append(state + "/" + sub)
            files += try FileManager.default.contentsOfDirectory(atPath: state + "/" + sub).map { state + "/" + sub + "/" + $0 }
        }
        files.append(state + "/checkpoint.json")
        #expect(files.contains { $0.hasSuffix("/journal.lock") })
        #expect(files.contains { $0.hasSuffix(".log") && $0.contains("/journal/segment-") })
        #expect(files.contains { $0.hasSuffix(".dead") })
        #expect(files.contains { $0.hasSuffix("/deliveries.jsonl") })
        for directory in directories { #expect(Self.mode(directory) == 0o700, "\(directory)") }
        for file in files { #expect(Self.mode(file) == 0o600, "\(file)") }
    }

    /// Lays out state_dir with a link at `relative` pointing at a file outside it.
    static func plantLink(_ harness: SidecarHarness, at relative: String) throws -> (link: String, target: String) {
        let link = harness.stateDir + "/" + relative
        try FileManager.default.createDirectory(atPath: (link as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let target = harness.folder.appendingPathComponent("target.txt").path
        try "not Herald's to touch\n".write(toFile: target, atomically: false, encoding: .utf8)
        #expect(symlink(target, link) == 0)
        return (link, target)
    }

    @Test("a link at a state file stops start-up with an error naming it, and its target is untouched",
          arguments: ["checkpoint.json", "checkpoint.json.tmp", "journal/segment-00000001.log", "journal/journal.lock"])
    func linkRefusedAtStart(relative: String) async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url))
        let (link, target) = try Self.plantLink(harness, at: relative)
        try harness.append([#"{"type":"good.thing","id":"g-1"}"#])
        try harness.start()
        let status = await harness.waitForExit()
        #expect(status != nil && status != 0)
        #expect(harness.log.contains(link), "\(harness.log)")
        #expect(harness.log.contains("symbolic link"))
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "not Herald's to touch\n")
        #expect(receiver.requests.isEmpty)
    }

    @Test("a link at deliveries.jsonl is logged as an error naming it; Herald delivers without the log and the target is untouched")
    func deliveryLogLink() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url))
        let (link, target) = try Self.plantLink(harness, at: "log/deliveries.jsonl")
        try harness.append([#"{"type":"good.thing","id":"g-1"}"#])
        try harness.start()
        #expect(await receiver.wait { $0.count >= 1 })
        #expect(await waitUntil { harness.log.contains("cannot open the delivery log") })
        let line = harness.log.split(separator: "\n").first { $0.contains("cannot open the delivery log") }.map(String.init) ?? ""
        #expect(line.contains("level=error"), "\(line)")
        #expect(line.contains(link), "\(line)")
        #expect(line.contains("symbolic link"), "\(line)")
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "not Herald's to touch\n")
    }
}
