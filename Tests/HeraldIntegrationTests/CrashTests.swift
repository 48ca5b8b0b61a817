import Foundation
import HeraldHTTP
import Testing

@Suite("nothing is lost to a crash, a stop or a rotation", .serialized)
struct CrashTests {
    @Test("kill -9 at random moments while 20,000 events are written: every event is delivered, and none is sent again once its ack was durable")
    func killNine() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url))
        let total = 20_000
        var generator = SystemRandomNumberGenerator()
        var written = 0
        var kills: [ContinuousClock.Instant] = []
        // When each killed run had certainly ended: a request received later comes from a later run.
        var exits: [ContinuousClock.Instant] = []
        // At debug level Herald logs `delivered` once a delivery's ack is durable; the marker before
        // each start tells the runs apart in the one log they all append to.
        func start() throws {
            try harness.appendToLog("\(Self.runMarker)\n")
            try harness.start(arguments: ["--log-level", "debug"])
        }
        try start()
        while written < total {
            let chunk = min(total - written, Int.random(in: 500...3000, using: &generator))
            try harness.append((written..<(written + chunk)).map { #"{"type":"load.event","id":"k-\#($0)","pad":"0123456789abcdefghijklmnopqrstuvwxyz"}"# })
            written += chunk
            try await Task.sleep(for: .milliseconds(Int.random(in: 5...250, using: &generator)))
            kills.append(.now)
            harness.signal(SIGKILL)
            _ = await harness.waitForExit()
            exits.append(.now)
            try start()
        }
        let delivered = await receiver.wait(timeout: .seconds(300)) { Set($0.map(\.id)).count >= total }
        let unique = receiver.uniqueIDs.count
        let duplicates = receiver.requests.count - unique
        #expect(delivered, "delivered \(unique) of \(total) after \(kills.count) kills")
        #expect(unique == total)
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        // The guarantee, exactly: a delivery whose ack was durable (logged `delivered`) in a run is not sent by
        // any later run. A kill -9 keeps everything written, so every such line the run wrote is in the log.
        let settled = Self.settledByRun(harness.log)
        #expect(settled.count == kills.count + 1, "one log section per run")
        var settledSoFar: Set<String> = []
        var resent: [String] = []
        for (run, exit) in exits.enumerated() where run < settled.count {
            settledSoFar.formUnion(settled[run])
            resent += receiver.requests.filter { $0.receivedAt > exit && settledSoFar.contains($0.id) }.map { "\($0.id) (durable in run \(run))" }
        }
        // Not every delivery has its line: a kill between the ack's write and the line leaves the ack durable
        // and unlogged (the restart then rightly skips it), so the count is reported, not required.
        let logged = settled.reduce(0) { $0 + $1.count }
        #expect(logged >= total / 2, "the check above saw \(logged) durable lines: too few to hold Herald to anything")
        #expect(resent.isEmpty, "sent again after its ack was durable: \(resent.prefix(10)) in \(harness.folder.path)")
        // How long before the kill the first copy of each duplicate was answered (in flight, or acked in the batch
        // not yet written: acks are journaled every 10 ms), in buckets: a report, since on a loaded machine it is
        // the scheduler, not Herald, that sets the tail.
        let ages = Self.answeredBeforeKill(receiver.requests, kills: kills)
        let buckets = [(-1, "retried within a run"), (1, "≤1 ms (in flight)"), (10, "1–10 ms"), (20, "10–20 ms"), (50, "20–50 ms"), (1_000, "50 ms–1 s"), (Int.max, "> 1 s")]
        var counts = buckets.map { _ in 0 }
        for age in ages { counts[buckets.firstIndex { age <= $0.0 }!] += 1 }
        let report = zip(buckets, counts).map { "\($0.0.1): \($0.1)" }.joined(separator: ", ")
        print("kill -9 test: \(total) events, \(kills.count) kills, \(logged) logged durable, \(duplicates) duplicate requests; answered before the kill: \(report)")
        #expect(ages.count == duplicates)
    }

    @Test("a checkpoint behind the journal (a crash before it was saved) does not send again the lines the journal holds")
    func checkpointBehindJournal() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let harness = try SidecarHarness(config: SidecarHarness.config(url: receiver.url))
        try harness.append((0..<50).map { #"{"type":"a","id":"c-\#($0)"}"# })
        try harness.start()
        #expect(await receiver.wait { $0.count >= 50 })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        // As if every run since the lines were journaled had died before saving its checkpoint.
        try FileManager.default.removeItem(atPath: harness.stateDir + "/checkpoint.json")
        try harness.append([#"{"type":"a","id":"c-50"}"#])
        try harness.start()
        #expect(await receiver.wait { $0.count >= 51 })
        try await Task.sleep(for: .milliseconds(500))
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(receiver.requests.count == 51, "sent again: \(receiver.requests.count - 51)")
        #expect(receiver.uniqueIDs.count == 51)
        #expect(harness.log.contains("the source checkpoint was behind the journal"), "\(harness.log)")
    }

    static let runMarker = "# test: herald started"

    /// The deliveries each run logged as durable (`msg=delivered delivery=ID`), by run, in start order.
    static func settledByRun(_ log: String) -> [Set<String>] {
        var runs: [Set<String>] = []
        for line in log.split(separator: "\n") {
            if line == runMarker {
                runs.append([])
            } else if line.contains(" msg=delivered "), let field = line.split(separator: " ").first(where: { $0.hasPrefix("delivery=") }), !runs.isEmpty {
                runs[runs.count - 1].insert(String(field.dropFirst("delivery=".count)))
            }
        }
        return runs
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
