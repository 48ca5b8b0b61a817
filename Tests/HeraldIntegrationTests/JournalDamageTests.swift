import Foundation
import Testing

/// Issue 11 rows 3 and 6 against the binary: a damaged journal keeps every intact record, reads
/// the damaged ones' lines again from the source, says how much it skipped, keeps a copy, and a
/// segment from a newer Herald stops start-up without being touched.
@Suite("journal damage at start-up")
struct JournalDamageTests {
    /// 1,000 deliveries journaled against a closed port (small segments: several of them), herald stopped.
    static func pendingJournal() async throws -> (SidecarHarness, PortReservation, [String]) {
        let reserved = try PortReservation()
        // A long schedule: nothing reaches max_age and is dead-lettered while the port is closed.
        let config = SidecarHarness.config(url: "http://127.0.0.1:\(reserved.port)/hooks", retry: DeliveryTests.longSchedule)
            + "\njournal: { max_bytes: 1MiB }\n"
        let harness = try SidecarHarness(config: config)
        try harness.start()
        let checkpoint = URL(fileURLWithPath: harness.stateDir).appendingPathComponent("checkpoint.json").path
        // Two halves, each journaled in one write of ~350 KB: the second starts a new segment (256 KiB each).
        for half in 0..<2 {
            try harness.append((half * 500..<(half + 1) * 500).map { #"{"type":"t","id":"d-\#($0)","pad":"\#(String(repeating: "x", count: 600))"}"# })
            let size = try FileManager.default.attributesOfItem(atPath: harness.eventsPath)[.size] as? Int ?? -1
            #expect(await waitUntil { (try? String(contentsOfFile: checkpoint, encoding: .utf8))?.contains("\"offset\":\(size)") == true })
        }
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        let journal = URL(fileURLWithPath: harness.stateDir).appendingPathComponent("journal").path
        let segments = try FileManager.default.contentsOfDirectory(atPath: journal).filter { $0.hasPrefix("segment-") }.sorted()
        return (harness, reserved, segments.map { "\(journal)/\($0)" })
    }

    /// The byte offset of the `n`th record's body in a segment file (records are length-prefixed).
    static func recordOffset(_ bytes: [UInt8], index: Int) -> Int {
        var offset = 16
        for _ in 0..<index {
            offset += 8 + Int(UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16)
        }
        return offset
    }

    /// What happens to the source file before the restart.
    enum SourceFate: String, CaseIterable, CustomTestStringConvertible {
        case kept, renamed, deleted
        var testDescription: String { rawValue }
    }

    @Test("a flipped byte in record 11 of an earlier segment: the intact records are kept, the damaged one is read again from the source (found by identity after a rename) and sent; without the file it is counted lost; logged, quarantined, verified",
          arguments: SourceFate.allCases)
    func flippedByte(fate: SourceFate) async throws {
        let (harness, reserved, segments) = try await Self.pendingJournal()
        #expect(segments.count >= 2, "the test needs a damaged segment that is not the last")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segments[0])))
        bytes[Self.recordOffset(bytes, index: 10) + 20] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: segments[0]))

        let verify = try await HeraldProcess.run(["journal", "verify", "-c", harness.configPath, "--json"], directory: harness.folder)
        #expect(verify.status == 1, "verify exits 1 on damage:\n\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("\"pending\":999"), "\(verify.stdout)")
        #expect(verify.stdout.contains("checksum mismatch"), "\(verify.stdout)")
        #expect(verify.stdout.contains("\"damage_bounded_by_source\":1"), "\(verify.stdout)")
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: segments[0]))) == bytes, "verify changes nothing")

        switch fate {
        case .kept:
            break
        case .renamed:
            // Rotated while Herald was down: the old file is found by its identity, not its name.
            try FileManager.default.moveItem(atPath: harness.eventsPath, toPath: harness.eventsPath + ".1")
            _ = FileManager.default.createFile(atPath: harness.eventsPath, contents: nil)
        case .deleted:
            try FileManager.default.removeItem(atPath: harness.eventsPath)
            _ = FileManager.default.createFile(atPath: harness.eventsPath, contents: nil)
        }
        let receiver = try Receiver(port: reserved.port)
        defer { receiver.stop() }
        reserved.release()
        try harness.start(arguments: ["--log-level", "debug"])
        let expected = fate == .deleted ? 999 : 1000
        #expect(await receiver.wait { Set($0.map(\.id)).count >= expected })
        #expect(harness.log.contains("journal had damaged records"))
        #expect(harness.log.contains("damaged_stretches=1"))
        if fate == .deleted {
            #expect(harness.log.contains("cannot recover the deliveries of a damaged journal stretch from the source: the file is gone"), "\(harness.log)")
        } else {
            // The lines of records 10 to 12 are read again; only the damaged one's delivery is new.
            #expect(harness.log.contains("msg=\"read source lines again to recover deliveries lost to journal damage\""), "\(harness.log)")
            #expect(harness.log.contains("lines=3 recovered=1"), "\(harness.log)")
        }
        let quarantine = URL(fileURLWithPath: harness.stateDir).appendingPathComponent("quarantine").path
        let copies = try FileManager.default.contentsOfDirectory(atPath: quarantine)
        #expect(copies == [URL(fileURLWithPath: segments[0]).lastPathComponent])
        // Every delivery settled: nothing left behind, nothing sent twice.
        #expect(await waitUntil { harness.log.components(separatedBy: " msg=delivered ").count - 1 >= expected })
        harness.signal(SIGTERM)
        #expect(await harness.waitForExit() == 0)
        #expect(Set(receiver.requests.map(\.id)).count == expected)
        #expect(receiver.requests.count == expected, "no delivery sent twice")
        let stopped = harness.log.split(separator: "\n").last { $0.contains("msg=\"herald stopped\"") } ?? ""
        #expect(stopped.contains(" pending=0"), "\(stopped)")
    }

    @Test("a segment written in a newer format stops start-up with exit 3 and a clear message; nothing is changed")
    func newerFormat() async throws {
        let (harness, _, segments) = try await Self.pendingJournal()
        let last = try #require(segments.last)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: last)))
        bytes[8] = 3
        try Data(bytes).write(to: URL(fileURLWithPath: last))
        let before = try segments.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }

        try harness.start()
        #expect(await harness.waitForExit() == 3)
        #expect(harness.log.contains("journal format version 3"), "\(harness.log)")
        #expect(try segments.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } == before)
    }
}
