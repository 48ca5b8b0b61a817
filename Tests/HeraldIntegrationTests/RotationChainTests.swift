import Foundation
import HeraldHTTP
import Testing

/// How a rotation renames the source file: logrotate's numbered names, or dated names.
enum RenamePattern: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case numbered
    case dated

    var testDescription: String { rawValue }

    /// Renames `events.jsonl` away (the `round`-th rotation, from 1) and creates a new, empty one.
    func rotate(_ harness: SidecarHarness, round: Int) throws {
        let files = FileManager.default
        let path = harness.eventsPath
        switch self {
        case .numbered:
            // events.jsonl.N-1 → .N, …, .1 → .2, events.jsonl → .1: every older file changes its name too.
            for number in stride(from: round - 1, through: 1, by: -1) {
                try files.moveItem(atPath: "\(path).\(number)", toPath: "\(path).\(number + 1)")
            }
            try files.moveItem(atPath: path, toPath: "\(path).1")
        case .dated:
            let dated = harness.folder.appendingPathComponent(String(format: "events-2026-12-%02d.jsonl", round)).path
            try files.moveItem(atPath: path, toPath: dated)
        }
        _ = files.createFile(atPath: path, contents: nil)
    }
}

/// How Herald was stopped before the rotations.
enum StopMode: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sigterm
    case kill9

    var testDescription: String { rawValue }
}

@Suite("rotation chains: every file between the checkpoint's and the current one is read", .serialized)
struct RotationChainTests {
    private static func events(_ prefix: String, _ range: Range<Int>, pad: Int = 0) -> [String] {
        let padding = String(repeating: "p", count: pad)
        return range.map { #"{"type":"rot","id":"\#(prefix)-\#($0)","pad":"\#(padding)"}"# }
    }

    @Test(
        "1, 2 and 5 rotations while stopped (SIGTERM or kill -9), numbered or dated names: 0 lines lost",
        arguments: [1, 2, 5], StopMode.allCases.flatMap { mode in RenamePattern.allCases.map { (mode, $0) } })
    func whileStopped(renames: Int, stop: (StopMode, RenamePattern)) async throws {
        let (mode, pattern) = stop
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url))
        // An older file that was there before the first run is never read.
        try Data(Self.events("before", 0..<10).map { $0 + "\n" }.joined().utf8)
            .write(to: harness.folder.appendingPathComponent(pattern == .numbered ? "events.jsonl.9" : "events-2026-11-30.jsonl"))
        try harness.append(Self.events("first", 0..<100))
        try harness.start()
        #expect(await receiver.wait { Set($0.map(\.id)).count >= 100 })
        harness.signal(mode == .sigterm ? SIGTERM : SIGKILL)
        _ = await harness.waitForExit()
        // Unread lines at the end of the checkpoint's file, then each rotation leaves a full file behind.
        try harness.append(Self.events("tail", 0..<50))
        for round in 1...renames {
            try pattern.rotate(harness, round: round)
            try harness.append(Self.events("r\(round)", 0..<100))
        }
        try harness.start()
        let total = 150 + renames * 100
        let delivered = await receiver.wait { Set($0.map(\.id)).count >= total }
        try await Task.sleep(for: .milliseconds(300))
        let ids = receiver.uniqueIDs
        #expect(delivered, "delivered \(ids.count) of \(total); \(harness.log)")
        #expect(ids.count == total)
        #expect(!ids.contains { $0.contains("before") }, "a file older than the first run was read")
        #expect(harness.log.contains("reason=resumed_renamed"))
        #expect(harness.log.components(separatedBy: "reason=rotated_unread").count - 1 == renames - 1)
        if mode == .sigterm { #expect(receiver.requests.count == total, "duplicates after a clean stop") }
        #expect(!harness.log.contains("source file lost"))
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        // A restart after the chain was read sends nothing again.
        let sent = receiver.requests.count
        try harness.start()
        try harness.append(Self.events("after", 0..<10))
        #expect(await receiver.wait { Set($0.map(\.id)).count >= total + 10 })
        try await Task.sleep(for: .milliseconds(300))
        #expect(receiver.requests.count == sent + 10)
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }

    @Test(
        "1, 2 and 5 rotations while running but paused by the journal budget, receiver down then up: 0 lines lost",
        arguments: [1, 2, 5], RenamePattern.allCases)
    func whilePaused(renames: Int, pattern: RenamePattern) async throws {
        let reserved = try PortReservation()
        var config = SidecarHarness.config(url: "http://127.0.0.1:\(reserved.port)/hooks", retry: DeliveryTests.longSchedule)
        // No breaker: the receiver's coming up is seen at the next retry, not after a cooldown.
        config = config.replacingOccurrences(of: "    concurrency: 8\n", with: "    concurrency: 8\n    breaker: { failures: 0 }\n")
        config += "\njournal: { max_bytes: 1MiB }\n"
        let harness = try SidecarHarness(config: config)
        // About 2 MiB of events: Herald stops reading at 1 MiB of journal, in the middle of this file.
        let first = 2_000
        try harness.append(Self.events("first", 0..<first, pad: 900))
        try harness.start()
        #expect(await waitUntil { harness.log.contains("journal at its size budget") }, "\(harness.log)")
        for round in 1...renames {
            try pattern.rotate(harness, round: round)
            try harness.append(Self.events("r\(round)", 0..<100, pad: 900))
        }
        let receiver = try Receiver(port: reserved.port)
        defer { receiver.stop() }
        reserved.release()
        let total = first + renames * 100
        let delivered = await receiver.wait(timeout: .seconds(180)) { Set($0.map(\.id)).count >= total }
        let ids = receiver.uniqueIDs
        #expect(delivered, "delivered \(ids.count) of \(total); \(harness.log.suffix(3000))")
        #expect(ids.count == total)
        #expect(!harness.log.contains("source file lost"))
        #expect(harness.log.components(separatedBy: "reason=rotated_unread").count - 1 == renames - 1)
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }

    @Test("a checkpoint's file deleted while stopped: one log line with its identity and unread bytes, counted; the rest is read")
    func lostFileIsReported() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let admin = try PortReservation()
        defer { admin.release() }
        let harness = try SidecarHarness(
            config: SidecarHarness.config(url: receiver.url) + "\nadmin: { listen: \"127.0.0.1:\(admin.port)\" }\n")
        // A line in progress at the end: the checkpoint stops before it, and knows the file's size past it.
        let partial = #"{"type":"rot","id":"partial""#
        try harness.append(Self.events("first", 0..<20))
        try harness.append(Data(partial.utf8))
        try harness.start()
        #expect(await receiver.wait { Set($0.map(\.id)).count >= 20 })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        // The checkpoint's file is rotated and deleted (compressed elsewhere, say); two rotations follow it.
        try RenamePattern.numbered.rotate(harness, round: 1)
        try FileManager.default.removeItem(atPath: harness.eventsPath + ".1")
        try harness.append(Self.events("r1", 0..<40))
        try RenamePattern.dated.rotate(harness, round: 1)
        try harness.append(Self.events("r2", 0..<40))
        try RenamePattern.dated.rotate(harness, round: 2)
        try harness.append(Self.events("current", 0..<10))
        try harness.start()
        #expect(await receiver.wait { Set($0.map(\.id)).count >= 20 + 90 }, "\(harness.log)")
        #expect(harness.logCount("source file lost before it was read to its end; its unread lines are lost") == 1)
        #expect(harness.log.contains("unread_bytes=\"at least \(partial.utf8.count)\""), "\(harness.log)")
        let client = try HTTPClient()
        defer { client.shutdown() }
        let text = try await poll({
            let reply = await client.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(admin.port)/metrics", timeout: .seconds(30)))
            return try PrometheusText(String(decoding: reply.body, as: UTF8.self))
        }, until: { $0.value("herald_source_files_lost_total") == 1 })
        #expect(text.value("herald_source_files_lost_total") == 1)
        #expect(text.value("herald_source_lost_bytes_total") == Double(partial.utf8.count))
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }
}
