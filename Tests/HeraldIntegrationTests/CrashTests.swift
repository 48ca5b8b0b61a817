import Foundation
import HeraldHTTP
import Testing

@Suite("nothing is lost to a crash, a stop or a rotation", .serialized)
struct CrashTests {
    @Test("kill -9 at random moments while 20,000 events are written: every event is delivered after restarts")
    func killNine() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url))
        let total = 20_000
        var generator = SystemRandomNumberGenerator()
        var written = 0
        var kills = 0
        try harness.start()
        while written < total {
            let chunk = min(total - written, Int.random(in: 500...3000, using: &generator))
            try harness.append((written..<(written + chunk)).map { #"{"type":"load.event","id":"k-\#($0)","pad":"0123456789abcdefghijklmnopqrstuvwxyz"}"# })
            written += chunk
            try await Task.sleep(for: .milliseconds(Int.random(in: 5...250, using: &generator)))
            harness.signal(SIGKILL)
            _ = await harness.waitForExit()
            kills += 1
            try harness.start()
        }
        let delivered = await receiver.wait(timeout: .seconds(300)) { Set($0.map(\.id)).count >= total }
        let unique = receiver.uniqueIDs.count
        let duplicates = receiver.requests.count - unique
        #expect(delivered, "delivered \(unique) of \(total) after \(kills) kills")
        #expect(unique == total)
        // Duplicates are allowed only for requests in flight at a kill: a few hundred at most per kill.
        #expect(duplicates <= kills * 500, "\(duplicates) duplicates over \(kills) kills")
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        print("kill -9 test: \(total) events, \(kills) kills, \(duplicates) duplicate requests")
    }

    @Test("SIGTERM with requests in flight: they finish within shutdown_grace, exit 0, and a restart sends the rest")
    func gracefulStop() async throws {
        let receiver = try Receiver { _, _ in ServerResponse(status: 204, delay: .milliseconds(300)) }
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url))
        try harness.append((0..<40).map { #"{"type":"slow","id":"g-\#($0)"}"# })
        try harness.start()
        #expect(await receiver.wait { $0.count >= 8 })
        harness.signal(SIGTERM)
        let stopped = ContinuousClock.now
        #expect(await harness.waitForExit() == 0)
        // shutdown_grace is 3 s; the bound leaves a loaded machine room without admitting a stop that ignores it.
        #expect(ContinuousClock.now - stopped < .seconds(20))
        #expect(harness.log.contains("msg=\"stopping: no more reading; waiting for requests in flight\""))
        try harness.start()
        #expect(await receiver.wait { Set($0.map(\.id)).count >= 40 })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }

    @Test("rename rotation while lines are written, late writes to the old file included: no loss, no duplicate")
    func renameRotation() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url))
        try harness.start()
        try harness.append((0..<100).map { #"{"type":"r","id":"a-\#($0)"}"# })
        #expect(await receiver.wait { $0.count >= 100 })
        // Unread lines are still in the file when it is renamed away.
        try harness.append((100..<300).map { #"{"type":"r","id":"a-\#($0)"}"# })
        let rotated = harness.eventsPath + ".1"
        try FileManager.default.moveItem(atPath: harness.eventsPath, toPath: rotated)
        let old = try FileHandle(forWritingTo: URL(fileURLWithPath: rotated))
        try old.seekToEnd()
        try old.write(contentsOf: Data((0..<50).map { #"{"type":"r","id":"late-\#($0)"}"# + "\n" }.joined().utf8))
        try old.close()
        _ = FileManager.default.createFile(atPath: harness.eventsPath, contents: nil)
        try harness.append((0..<300).map { #"{"type":"r","id":"b-\#($0)"}"# })
        #expect(await receiver.wait { Set($0.map(\.id)).count >= 650 }, "\(harness.log)")
        try await Task.sleep(for: .milliseconds(300))
        #expect(receiver.uniqueIDs.count == 650)
        #expect(receiver.requests.count == 650)
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }

    @Test("a restart resumes at the checkpoint: nothing re-sent, nothing skipped")
    func restartResumes() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url))
        try harness.append((0..<100).map { #"{"type":"x","id":"c-\#($0)"}"# })
        try harness.start()
        #expect(await receiver.wait { $0.count >= 100 })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        try harness.append((100..<150).map { #"{"type":"x","id":"c-\#($0)"}"# })
        try harness.start()
        #expect(await receiver.wait { $0.count >= 150 })
        try await Task.sleep(for: .milliseconds(300))
        #expect(receiver.requests.count == 150)
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }

    @Test("a journal torn mid-record is truncated at start-up, logged, and the intact deliveries still go out")
    func tornJournal() async throws {
        // Refused until the receiver comes up; the long schedule keeps the deliveries pending (not dead) however
        // late this test sees the first retry.
        let reserved = try PortReservation()
        let harness = try SidecarHarness(config: SidecarHarness.config(url: "http://127.0.0.1:\(reserved.port)/hooks", retry: DeliveryTests.longSchedule))
        try harness.append((0..<20).map { #"{"type":"t","id":"t-\#($0)"}"# })
        try harness.start()
        // Ten failures open the circuit; their attempt records are journaled in a batch within milliseconds, so
        // the journal then ends in attempt records, and cutting its last bytes tears one of those — not an enqueue
        // whose line the checkpoint has already passed (a real torn write never has a saved checkpoint past it).
        #expect(await waitUntil { harness.log.contains("circuit opened") })
        try await Task.sleep(for: .milliseconds(500))
        harness.signal(SIGKILL)
        _ = await harness.waitForExit()
        let journal = URL(fileURLWithPath: harness.stateDir).appendingPathComponent("journal")
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: journal.path).filter { $0.hasSuffix(".log") }.sorted().last)
        let handle = try FileHandle(forUpdating: journal.appendingPathComponent(segment))
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size - 7)
        try handle.close()

        let receiver = try Receiver(port: reserved.port)
        defer { receiver.stop() }
        reserved.release()
        try harness.start()
        #expect(await receiver.wait { Set($0.map(\.id)).count >= 20 })
        #expect(harness.log.contains("torn tail"))
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
    }
}
