import Foundation
import HeraldHTTP
import Testing

@Suite("nothing is lost to a crash, a stop or a rotation", .serialized)
struct CrashTests {
    @Test("kill -9 at random moments while 20,000 events are written: every event is delivered, and every duplicate was answered just before a kill")
    func killNine() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url))
        let total = 20_000
        var generator = SystemRandomNumberGenerator()
        var written = 0
        var kills: [ContinuousClock.Instant] = []
        try harness.start()
        while written < total {
            let chunk = min(total - written, Int.random(in: 500...3000, using: &generator))
            try harness.append((written..<(written + chunk)).map { #"{"type":"load.event","id":"k-\#($0)","pad":"0123456789abcdefghijklmnopqrstuvwxyz"}"# })
            written += chunk
            try await Task.sleep(for: .milliseconds(Int.random(in: 5...250, using: &generator)))
            kills.append(.now)
            harness.signal(SIGKILL)
            _ = await harness.waitForExit()
            try harness.start()
        }
        let delivered = await receiver.wait(timeout: .seconds(300)) { Set($0.map(\.id)).count >= total }
        let unique = receiver.uniqueIDs.count
        let duplicates = receiver.requests.count - unique
        #expect(delivered, "delivered \(unique) of \(total) after \(kills.count) kills")
        #expect(unique == total)
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        // Every duplicate: its first copy was answered (2xx) shortly before a kill — in flight, or acked in the
        // batch that had not been synced yet (acks are journaled every 10 ms). How long before the kill each was
        // answered, in buckets; the bound leaves room for a loaded machine running a debug build.
        let ages = Self.answeredBeforeKill(receiver.requests, kills: kills)
        let buckets = [(-1, "retried within a run"), (1, "≤1 ms (in flight)"), (10, "1–10 ms"), (20, "10–20 ms"), (50, "20–50 ms"), (1_000, "50 ms–1 s"), (Int.max, "> 1 s")]
        var counts = buckets.map { _ in 0 }
        for age in ages { counts[buckets.firstIndex { age <= $0.0 }!] += 1 }
        let report = zip(buckets, counts).map { "\($0.0.1): \($0.1)" }.joined(separator: ", ")
        print("kill -9 test: \(total) events, \(kills.count) kills, \(duplicates) duplicate requests; answered before the kill: \(report)")
        #expect(ages.count == duplicates)
        #expect(counts.last == 0, "a duplicate whose copy before was answered more than a second before a kill: \(report); \(Self.late(receiver.requests, kills: kills))")
    }

    /// The copies of each delivery sent again after a kill more than a second after its previous copy, as
    /// milliseconds since the first kill, with the kills: what a failure of the bound above needs to be read.
    static func late(_ requests: [Receiver.Request], kills: [ContinuousClock.Instant]) -> String {
        guard let start = kills.first else { return "" }
        func ms(_ instant: ContinuousClock.Instant) -> Int {
            let gap = instant - start
            return Int(gap.components.seconds * 1000 + gap.components.attoseconds / 1_000_000_000_000_000)
        }
        var copies: [String: [Int]] = [:]
        for request in requests { copies[request.id, default: []].append(ms(request.receivedAt)) }
        let late = copies.filter { _, times in
            zip(times, times.dropFirst()).contains { previous, next in kills.map(ms).contains { $0 >= previous + 1_000 && $0 <= next } }
        }
        return "late: \(late.sorted { $0.key < $1.key }.prefix(10).map { "\($0.key) at \($0.value)" }), kills at \(kills.map(ms))"
    }

    /// For each repeated copy of a delivery that a kill came between, milliseconds from the copy before it
    /// reaching the receiver (which answers at once) to that kill. A copy with no kill since the one before is
    /// a retry within one run (a transport error after the answer), not a crash's duplicate: -1.
    static func answeredBeforeKill(_ requests: [Receiver.Request], kills: [ContinuousClock.Instant]) -> [Int] {
        var last: [String: ContinuousClock.Instant] = [:]
        var ages: [Int] = []
        for request in requests {
            defer { last[request.id] = request.receivedAt }
            guard let previous = last[request.id] else { continue }
            guard let kill = kills.first(where: { $0 >= previous }), kill <= request.receivedAt else {
                ages.append(-1)
                continue
            }
            let gap = kill - previous
            ages.append(Int(gap.components.seconds * 1000 + gap.components.attoseconds / 1_000_000_000_000_000))
        }
        return ages
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
        #expect(await harness.waitForExit() == 0, "\(harness.log.split(separator: "\n").filter { !$0.contains("will retry") }.suffix(30).joined(separator: "\n"))")
    }
}
