import Foundation
import Synchronization
import Testing

@testable import HeraldJournal

@Suite("Journal")
struct JournalTests {
    @Test("every record kind survives a reopen, with attempt, ack and dead applied in order")
    func recoveryAppliesRecords() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, first) = try await openJournal(dir)
        #expect(first.deliveries.isEmpty)
        #expect(first.truncatedTail == nil)
        try await journal.append([.enqueue(delivery("msg_a")), .enqueue(delivery("msg_b"))])
        try await journal.append([.enqueue(delivery("msg_c")), .enqueue(delivery("msg_d"))])
        try await journal.append([.attempt(id: "msg_a", attempts: 1, notBefore: 5_000, error: "HTTP 503")])
        try await journal.append([.attempt(id: "msg_a", attempts: 2, notBefore: 9_000, error: "timeout")])
        try await journal.append([.ack(id: "msg_b"), .dead(id: "msg_c", reason: "HTTP 400")])
        #expect(journal.pendingCount == 2)
        await journal.close()

        let recovery = try await recover(dir)
        var expectedA = delivery("msg_a")
        expectedA.attempts = 2
        expectedA.notBefore = 9_000
        expectedA.lastError = "timeout"
        #expect(recovery.deliveries == [expectedA, delivery("msg_d")])
        #expect(recovery.truncatedTail == nil)
        #expect(recovery.recordsRead == 8)
    }

    @Test("pending deliveries come back in the order they were first enqueued, even when re-enqueued")
    func enqueueOrder() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, _) = try await openJournal(dir)
        for i in 0..<20 { try await journal.append([.enqueue(delivery("msg_\(i)"))]) }
        try await journal.append([.enqueue(delivery("msg_3", attempts: 4))])
        await journal.close()
        let recovery = try await recover(dir)
        #expect(recovery.deliveries.map(\.id) == (0..<20).map { "msg_\($0)" })
        #expect(recovery.deliveries[3].attempts == 4)
    }

    @Test("a damaged record's source gap is bounded by the newest positions around it, not by compacted older records")
    func sourceGapBounds() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        func at(_ offset: Int64) -> SourcePosition {
            SourcePosition(device: 1, inode: 2, fingerprintHash: 3, fingerprintLength: 256, offset: offset, length: 100)
        }
        func sourced(_ id: String, _ offset: Int64, at time: Int64) -> JournalRecord {
            var d = delivery(id, enqueuedAt: time)
            d.source = at(offset)
            return .enqueue(d)
        }
        let (journal, _) = try await openJournal(dir)
        // Fresh A, then B as compaction writes it (old enqueue time, old line), then the damaged C,
        // then a compacted E before the fresh D.
        try await journal.append([sourced("a", 1_000, at: 100), sourced("b", 10, at: 50)])
        let damagedStart = try dir.fileSize("segment-00000001.log")
        try await journal.append([sourced("c", 1_100, at: 101)])
        try await journal.append([.ack(id: "x-settled-after"), sourced("e", 20, at: 60), sourced("d", 1_200, at: 102)])
        await journal.close()
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: "\(dir.path)/segment-00000001.log"))
        try handle.seek(toOffset: UInt64(damagedStart + 30))
        let original = try #require(try handle.read(upToCount: 1))
        try handle.seek(toOffset: UInt64(damagedStart + 30))
        try handle.write(contentsOf: Data([original[0] ^ 0x5A]))
        try handle.close()

        let recovery = try await recover(dir)
        #expect(recovery.deliveries.map(\.id) == ["b", "e", "a", "d"])
        #expect(recovery.damage.count == 1)
        #expect(recovery.sourceGaps.map(\.before) == [at(1_000)])
        #expect(recovery.sourceGaps.map(\.after) == [at(1_200)])
        #expect(recovery.settledAfterDamage == ["x-settled-after"])
        #expect(recovery.deliveries.first { $0.id == "d" }?.source == at(1_200), "positions survive decoding")
    }

    @Test("a journal cut inside its last record keeps every earlier record and reports the torn tail")
    func tornTail() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, _) = try await openJournal(dir)
        try await journal.append([.enqueue(delivery("msg_1")), .enqueue(delivery("msg_2"))])
        try await journal.append([.ack(id: "msg_1")])
        let lastStart = try dir.fileSize("segment-00000001.log")
        try await journal.append([.enqueue(delivery("msg_3", payloadSize: 300))])
        await journal.close()
        let segment = "\(dir.path)/segment-00000001.log"
        let full = try Data(contentsOf: URL(fileURLWithPath: segment))
        #expect(full.count > lastStart + 300)

        var cuts = Set((0..<12).map { _ in Int.random(in: lastStart + 1..<full.count) })
        cuts.formUnion([lastStart + 1, lastStart + 7, lastStart + 8, lastStart + 9, full.count - 1])
        for cut in cuts.sorted() {
            try full.prefix(cut).write(to: URL(fileURLWithPath: segment))
            let recovery = try await recover(dir)
            #expect(recovery.deliveries.map(\.id) == ["msg_2"], "cut at \(cut)")
            let tail = try #require(recovery.truncatedTail, "cut at \(cut)")
            #expect(tail.segment == "segment-00000001.log")
            #expect(tail.offset == Int64(lastStart))
            #expect(try dir.fileSize("segment-00000001.log") == lastStart, "the torn bytes are cut off")
            let again = try await recover(dir)
            #expect(again.truncatedTail == nil, "a repaired journal reopens clean")
            #expect(again.deliveries.map(\.id) == ["msg_2"])
        }
    }

    @Test("a flipped byte in a record body is caught by the CRC; recovery reads past it and keeps the records after it")
    func flippedByte() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, _) = try await openJournal(dir)
        try await journal.append([.enqueue(delivery("msg_1"))])
        let secondStart = try dir.fileSize("segment-00000001.log")
        try await journal.append([.enqueue(delivery("msg_2", payloadSize: 64))])
        let thirdStart = try dir.fileSize("segment-00000001.log")
        try await journal.append([.enqueue(delivery("msg_3"))])
        await journal.close()

        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: "\(dir.path)/segment-00000001.log"))
        try handle.seek(toOffset: UInt64(secondStart + 40))
        let original = try #require(try handle.read(upToCount: 1))
        try handle.seek(toOffset: UInt64(secondStart + 40))
        try handle.write(contentsOf: Data([original[0] ^ 0x5A]))
        try handle.close()
        let damaged = try Data(contentsOf: URL(fileURLWithPath: "\(dir.path)/segment-00000001.log"))

        let recovery = try await recover(dir)
        #expect(recovery.deliveries.map(\.id) == ["msg_1", "msg_3"])
        #expect(recovery.truncatedTail == nil, "the intact record after the damage is kept, so nothing is cut")
        #expect(recovery.damage == [
            JournalDamage(segment: "segment-00000001.log", offset: Int64(secondStart), length: Int64(thirdStart - secondStart),
                          reason: "checksum mismatch"),
        ])
        let copy = try #require(recovery.quarantined.first)
        #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == damaged, "the damaged segment is kept as it was")

        // Appending after the damage works, and the next start reads it all again (one copy in quarantine).
        let (reopened, again) = try await openJournal(dir)
        #expect(again.deliveries.map(\.id) == ["msg_1", "msg_3"])
        try await reopened.append([.enqueue(delivery("msg_4"))])
        await reopened.close()
        let last = try await recover(dir)
        #expect(last.deliveries.map(\.id) == ["msg_1", "msg_3", "msg_4"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(dir.path)/quarantine").count == 1)
    }

    /// A journal of one enqueue record (`msg_1`) whose segment header then says `version`.
    static func oneRecordSegment(_ dir: TemporaryDirectory, version: UInt8) async throws -> (path: String, bytes: [UInt8]) {
        let (journal, _) = try await openJournal(dir)
        try await journal.append([.enqueue(delivery("msg_1"))])
        await journal.close()
        let path = "\(dir.path)/segment-00000001.log"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes[8] == RecordCodec.version)
        bytes[8] = version
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, bytes)
    }

    @Test("a version-1 segment is read and never appended to: new records go to a new segment, so an older Herald can still read it")
    func olderFormatIsSealed() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (path, bytes) = try await Self.oneRecordSegment(dir, version: 1)
        let (reopened, recovery) = try await openJournal(dir)
        #expect(recovery.deliveries.map(\.id) == ["msg_1"])
        try await reopened.append([.enqueue(delivery("msg_2"))])
        await reopened.close()
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == bytes, "the version-1 segment is untouched")
        #expect(try dir.segmentFiles() == ["segment-00000001.log", "segment-00000002.log"])
        #expect(try await recover(dir).deliveries.map(\.id) == ["msg_1", "msg_2"])
    }

    @Test("a segment in a newer format stops recovery with a clear error and is left exactly as it was")
    func newerFormat() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (path, bytes) = try await Self.oneRecordSegment(dir, version: 3)
        for _ in 0..<2 {
            let attempt = Result { () throws(JournalError) in try Journal.open(directory: dir.path) }
            guard case .failure(let error) = attempt else {
                Issue.record("a segment in version 3 was opened")
                return
            }
            #expect(error.code == .unsupported)
            #expect(error.message.contains("version 3") && error.message.contains("Nothing was changed"), "\(error.message)")
            #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == bytes)
        }
        #expect(try dir.segmentFiles() == ["segment-00000001.log"])
    }

    @Test("verify reports records, pending and damage and changes nothing")
    func verifyChangesNothing() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, _) = try await openJournal(dir)
        try await journal.append((0..<5).map { .enqueue(delivery("msg_\($0)")) })
        try await journal.append([.ack(id: "msg_0")])
        await journal.close()
        let path = "\(dir.path)/segment-00000001.log"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[16 + 30] ^= 0xFF  // inside msg_0's enqueue record
        bytes.append(contentsOf: [9, 0, 0, 0, 1])  // and a torn tail
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let report = try Journal.verify(directory: dir.path)
        #expect(report.recordsRead == 5)
        #expect(report.pending == 4, "msg_1 to msg_4; msg_0's enqueue record is unreadable")
        #expect(report.pendingByEndpoint == ["billing": report.pending])
        #expect(report.damage.count == 1)
        #expect(report.tornTail != nil)
        #expect(!report.isClean)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == bytes)
        #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/quarantine"))
    }

    @Test("a corrupt record in an earlier segment loses only that record; the rest of the segment is read")
    func corruptEarlierSegment() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let smallSegments: (inout JournalOptions) -> Void = { $0.segmentBytes = 4096 }
        let (journal, _) = try await openJournal(dir, configure: smallSegments)
        for i in 0..<20 { try await journal.append([.enqueue(delivery("msg_\(i)", payloadSize: 600))]) }
        await journal.close()
        let segments = try dir.segmentFiles()
        #expect(segments.count >= 3)

        let firstPath = "\(dir.path)/\(segments[0])"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: firstPath)))
        let firstRecordLength = 8 + Int(UInt32(bytes[16]) | UInt32(bytes[17]) << 8)
        let secondRecord = 16 + firstRecordLength
        let secondRecordLength = 8 + Int(UInt32(bytes[secondRecord]) | UInt32(bytes[secondRecord + 1]) << 8)
        bytes[secondRecord + 30] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: firstPath))

        let recovery = try await recover(dir, configure: smallSegments)
        #expect(recovery.damage == [
            JournalDamage(segment: segments[0], offset: Int64(secondRecord), length: Int64(secondRecordLength), reason: "checksum mismatch"),
        ])
        #expect(recovery.truncatedTail == nil)
        let ids = Set(recovery.deliveries.map(\.id))
        #expect(ids == Set((0..<20).map { "msg_\($0)" }).subtracting(["msg_1"]), "only the damaged record is lost")
    }

    @Test("an earlier segment cut mid-record, or with a wrong header, is reported and quarantined; later segments are read")
    func damagedEarlierSegments() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let smallSegments: (inout JournalOptions) -> Void = { $0.segmentBytes = 4096 }
        let (journal, _) = try await openJournal(dir, configure: smallSegments)
        for i in 0..<30 { try await journal.append([.enqueue(delivery("msg_\(i)", payloadSize: 600))]) }
        await journal.close()
        let segments = try dir.segmentFiles()
        #expect(segments.count >= 4)
        let cut = "\(dir.path)/\(segments[0])"
        let size = try dir.fileSize(segments[0])
        try FileHandle(forUpdating: URL(fileURLWithPath: cut)).truncate(atOffset: UInt64(size - 100))
        let wrongMagic = "\(dir.path)/\(segments[1])"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: wrongMagic)))
        bytes[0] = UInt8(ascii: "X")
        try Data(bytes).write(to: URL(fileURLWithPath: wrongMagic))

        let recovery = try await recover(dir, configure: smallSegments)
        #expect(recovery.damage.map(\.segment) == [segments[0], segments[1]])
        #expect(recovery.damage[1].offset == 0 && recovery.damage[1].length == Int64(bytes.count))
        #expect(recovery.quarantined.count == 2)
        #expect(recovery.deliveries.map(\.id).contains("msg_29"), "later segments are still read")
        #expect(FileManager.default.fileExists(atPath: "\(dir.path)/quarantine/\(segments[1])"))
    }

    @Test("appends from many concurrent tasks are all durable after reopen")
    func concurrentAppends() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, _) = try await openJournal(dir) { $0.segmentBytes = 64 << 10 }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<32 {
                group.addTask {
                    for i in 0..<40 {
                        try await journal.append([.enqueue(delivery("msg_\(task)_\(i)", payloadSize: 200))])
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(journal.pendingCount == 32 * 40)
        #expect(journal.appendsCommitted == 32 * 40)
        #expect(journal.commits < journal.appendsCommitted, "concurrent appends share fdatasyncs")
        await journal.close()
        let recovery = try await recover(dir) { $0.segmentBytes = 64 << 10 }
        #expect(recovery.deliveries.count == 32 * 40)
        #expect(Set(recovery.deliveries.map(\.id)).count == 32 * 40)
        #expect(recovery.truncatedTail == nil)
        for task in 0..<32 {
            let mine = recovery.deliveries.map(\.id).filter { $0.hasPrefix("msg_\(task)_") }
            #expect(mine == (0..<40).map { "msg_\(task)_\($0)" }, "one task's appends keep their order")
        }
    }

    @Test("a payload of several MiB, larger than a batch and a segment, is written whole and read back")
    func largePayload() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let options: (inout JournalOptions) -> Void = {
            $0.segmentBytes = 1 << 20
            $0.maxBatchBytes = 256 << 10
        }
        let (journal, _) = try await openJournal(dir, configure: options)
        let big = delivery("msg_big", payloadSize: 5 << 20)
        async let small: Void = journal.append([.enqueue(delivery("msg_small"))])
        try await journal.append([.enqueue(big)])
        try await small
        await journal.close()
        let recovery = try await recover(dir, configure: options)
        #expect(recovery.deliveries.count == 2)
        #expect(recovery.deliveries.first { $0.id == "msg_big" } == big)
    }

    @Test("segments rotate at segmentBytes and are deleted once all their deliveries settle")
    func rotationAndDeletion() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, _) = try await openJournal(dir) { $0.segmentBytes = 4096 }
        for i in 0..<30 { try await journal.append([.enqueue(delivery("msg_\(i)", payloadSize: 500))]) }
        let rotated = try dir.segmentFiles()
        #expect(rotated.count >= 4)
        for name in rotated.dropLast() { #expect(try dir.fileSize(name) <= 4096) }
        let before = journal.bytesOnDisk

        for i in 0..<15 { try await journal.append([.ack(id: "msg_\(i)")]) }
        let afterHalf = try dir.segmentFiles()
        #expect(afterHalf.count < rotated.count)
        #expect(afterHalf.first != rotated.first, "the oldest segments went first")
        #expect(journal.bytesOnDisk < before)

        for i in 15..<30 { try await journal.append([.dead(id: "msg_\(i)", reason: "gone")]) }
        #expect(journal.pendingCount == 0)
        #expect(try dir.segmentFiles().count == 1)
        #expect(journal.bytesOnDisk < 4096)
        await journal.close()
        let recovery = try await recover(dir) { $0.segmentBytes = 4096 }
        #expect(recovery.deliveries.isEmpty)
    }

    @Test("compaction re-appends a long-pending delivery with its current state and frees the old segment")
    func compaction() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let options: (inout JournalOptions) -> Void = { $0.segmentBytes = 8192 }
        let (journal, _) = try await openJournal(dir, configure: options)
        try await journal.append([.enqueue(delivery("msg_stuck", payloadSize: 100))])
        for i in 0..<200 {
            try await journal.append([.enqueue(delivery("msg_\(i)", payloadSize: 400))])
            try await journal.append([.ack(id: "msg_\(i)")])
            if i % 50 == 0 {
                try await journal.append([
                    .attempt(id: "msg_stuck", attempts: i / 50 + 1, notBefore: Int64(i), error: "HTTP 502 (\(i))")
                ])
            }
        }
        #expect(journal.pendingCount == 1)
        #expect(!(try dir.segmentFiles()).contains("segment-00000001.log"), "the stuck delivery does not pin segment 1")
        #expect(try dir.segmentFiles().count <= 2)
        #expect(journal.bytesOnDisk <= 2 * 8192)
        await journal.close()

        let recovery = try await recover(dir, configure: options)
        var expected = delivery("msg_stuck", payloadSize: 100)
        expected.attempts = 4
        expected.notBefore = 150
        expected.lastError = "HTTP 502 (150)"
        #expect(recovery.deliveries == [expected])
    }

    @Test("a compacted segment that outlives a crash neither duplicates nor rolls back its deliveries")
    func compactedSegmentSurvivesCrash() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let options: (inout JournalOptions) -> Void = { $0.segmentBytes = 8192 }
        let (journal, _) = try await openJournal(dir, configure: options)
        try await journal.append([.enqueue(delivery("msg_stuck", payloadSize: 100))])
        try await journal.append([.attempt(id: "msg_stuck", attempts: 1, notBefore: 7, error: "HTTP 502")])
        let firstSegment = URL(fileURLWithPath: "\(dir.path)/segment-00000001.log")
        var sealedCopy = Data()
        var i = 0
        while FileManager.default.fileExists(atPath: firstSegment.path) {
            sealedCopy = try Data(contentsOf: firstSegment)
            try await journal.append([.enqueue(delivery("msg_\(i)", payloadSize: 400))])
            try await journal.append([.ack(id: "msg_\(i)")])
            i += 1
            try #require(i < 100, "segment 1 was never compacted")
        }
        await journal.close()
        #expect(try dir.segmentFiles() == ["segment-00000002.log"])

        // As if the process died after the compaction was synced but before the unlink.
        try sealedCopy.write(to: firstSegment)
        let (reopened, recovery) = try await openJournal(dir, configure: options)
        var expected = delivery("msg_stuck", payloadSize: 100)
        expected.attempts = 1
        expected.notBefore = 7
        expected.lastError = "HTTP 502"
        #expect(recovery.deliveries == [expected])
        #expect(try dir.segmentFiles() == ["segment-00000002.log"], "the stale segment is deleted on open")
        await reopened.close()
    }

    @Test("hasRoom turns false once bytesOnDisk reaches maxBytes and true again after acks")
    func backpressure() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, _) = try await openJournal(dir) {
            $0.maxBytes = 32 << 10
            $0.segmentBytes = 8 << 10
        }
        var enqueued = 0
        while journal.hasRoom() {
            try await journal.append([.enqueue(delivery("msg_\(enqueued)", payloadSize: 1000))])
            enqueued += 1
            #expect(enqueued < 100, "hasRoom never turned false")
            if enqueued >= 100 { break }
        }
        #expect(journal.bytesOnDisk >= 32 << 10)
        #expect(!journal.hasRoom())
        try await journal.append((0..<enqueued).map { .ack(id: "msg_\($0)") })
        #expect(journal.hasRoom())
        #expect(journal.bytesOnDisk < 8 << 10)
        await journal.close()
    }

    @Test("a failed write is reported to its callers, cut back from the file, and read as no room")
    func failedWrite() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let failNext = FailSwitch()
        let (journal, _) = try await openJournal(dir) { options in
            options.injectWriteFailure = { _ in failNext.take() ? ENOSPC : nil }
        }
        try await journal.append([.enqueue(delivery("msg_1"))])
        let goodSize = try dir.fileSize("segment-00000001.log")
        failNext.arm()
        await #expect(throws: JournalError.self) {
            try await journal.append([.enqueue(delivery("msg_2", payloadSize: 1000))])
        }
        do {
            failNext.arm()
            try await journal.append([.enqueue(delivery("msg_3", payloadSize: 1000))])
        } catch {
            #expect(error.code == .noSpace)
        }
        #expect(!journal.hasRoom(), "a full disk is backpressure")
        #expect(try dir.fileSize("segment-00000001.log") == goodSize, "nothing half-written is left")
        try await journal.append([.enqueue(delivery("msg_4"))])
        #expect(journal.hasRoom())
        #expect(journal.pendingCount == 2)
        await journal.close()

        let recovery = try await recover(dir)
        #expect(recovery.truncatedTail == nil)
        #expect(recovery.deliveries.map(\.id) == ["msg_1", "msg_4"])
    }

    @Test("a second open of a directory in use is refused with a clear error")
    func exclusiveOpen() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, _) = try await openJournal(dir)
        #expect {
            _ = try Journal.open(directory: dir.path)
        } throws: { error in
            guard let error = error as? JournalError else { return false }
            return error.code == .locked && error.message.contains("already in use")
        }
        await journal.close()
        let (reopened, _) = try await openJournal(dir)
        await reopened.close()
    }

    @Test("appending after close fails with .closed")
    func appendAfterClose() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, _) = try await openJournal(dir)
        await journal.close()
        do {
            try await journal.append([.ack(id: "msg_1")])
            Issue.record("append after close succeeded")
        } catch {
            #expect(error.code == .closed)
        }
    }
}

/// A thread-safe one-shot flag for the write-failure hook.
final class FailSwitch: Sendable {
    private let armed = Mutex(false)
    func arm() { armed.withLock { $0 = true } }
    func take() -> Bool {
        armed.withLock { value in
            defer { value = false }
            return value
        }
    }
}
