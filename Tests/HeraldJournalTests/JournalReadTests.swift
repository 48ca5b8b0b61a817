import Foundation
import Glibc
import Synchronization
import Testing

@testable import HeraldJournal

@Suite("reading pending deliveries back")
struct JournalReadTests {
    @Test("read returns a pending delivery's payload with its current attempt state, and notPending once settled")
    func readBack() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, _) = try await openJournal(dir)
        try await journal.append([.enqueue(delivery("msg_a", payloadSize: 3000)), .enqueue(delivery("msg_b"))])
        try await journal.append([.attempt(id: "msg_a", attempts: 2, notBefore: 42, error: "HTTP 503"), .ack(id: "msg_b")])
        let read = await journal.read(["msg_a", "msg_b", "msg_unknown"])
        var expected = delivery("msg_a", payloadSize: 3000)
        expected.attempts = 2
        expected.notBefore = 42
        expected.lastError = "HTTP 503"
        #expect(read == [.found(expected), .notPending, .notPending])
        await journal.close()
        #expect(await journal.read(["msg_a"]).first?.delivery == nil)
    }

    @Test("reads see deliveries moved by segment rotation and compaction")
    func readAcrossSegments() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, _) = try await openJournal(dir) { $0.segmentBytes = 4096 }
        try await journal.append([.enqueue(delivery("msg_keep", payloadSize: 500))])
        for index in 0..<40 {
            try await journal.append([.enqueue(delivery("msg_\(index)", payloadSize: 500))])
            try await journal.append([.ack(id: "msg_\(index)")])
        }
        #expect(try dir.segmentFiles().count < 10)
        #expect(await journal.read(["msg_keep"]) == [.found(delivery("msg_keep", payloadSize: 500))])
        await journal.close()
    }

    @Test("one read of many deliveries, asked for out of order across segments with acks between, returns each in its place")
    func coalescedReadBack() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, _) = try await openJournal(dir) { $0.segmentBytes = 64 << 10 }
        var ids: [String] = []
        for index in 0..<400 {
            let id = "msg_\(index)"
            try await journal.append([.enqueue(delivery(id, payloadSize: 100 + index % 700))])
            if index % 3 == 0 { try await journal.append([.ack(id: id)]) }
            ids.append(id)
        }
        #expect(try dir.segmentFiles().count > 1)
        let asked = ids.reversed() + ["msg_unknown"]
        let expected = asked.map { id -> DeliveryReadResult in
            guard let index = Int(id.dropFirst(4)), index % 3 != 0 else { return .notPending }
            return .found(delivery(id, payloadSize: 100 + index % 700))
        }
        #expect(await journal.read(Array(asked)) == expected)
    }

    @Test("a read that fails (out of descriptors) says so, and the delivery reads back once the fault clears")
    func failedReadIsNotNotPending() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let failing = Atomic<Bool>(true)
        let (journal, _) = try await openJournal(dir) { options in
            options.injectReadFailure = { failing.load(ordering: .relaxed) ? EMFILE : nil }
        }
        try await journal.append([.enqueue(delivery("msg_a"))])
        guard case .failed(let error) = await journal.read(["msg_a"]).first else {
            Issue.record("a failed read must not look like a missing delivery")
            return
        }
        #expect(error.errno == EMFILE)
        failing.store(false, ordering: .relaxed)
        #expect(await journal.read(["msg_a"]) == [.found(delivery("msg_a"))])
        await journal.close()
    }

    @Test("an ordering key survives the journal and a restart; records without one still read")
    func orderingKeyRoundTrip() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        var keyed = delivery("msg_k")
        keyed.orderingKey = "order-42"
        let (journal, _) = try await openJournal(dir)
        try await journal.append([.enqueue(keyed), .enqueue(delivery("msg_plain"))])
        await journal.close()
        let recovery = try await recover(dir)
        #expect(recovery.deliveries == [keyed, delivery("msg_plain")])
    }
}

@Suite("burying deliveries on the writer thread")
struct JournalBuryTests {
    @Test("bury writes each dead letter with the latest attempt state, then settles the delivery")
    func buryWritesLettersThenSettles() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let letters = try DeadLetterStore(directory: dir.path + "/dead")
        let (journal, _) = try await openJournal(dir) { $0.segmentBytes = 1 << 20 }
        try await journal.append([.enqueue(delivery("msg_a")), .enqueue(delivery("msg_b"))])
        let outcomes = await journal.bury(
            [BuryRequest(id: "msg_a", reason: "permanent failure: HTTP 400", attempts: 3, lastError: "HTTP 400"),
             BuryRequest(id: "msg_unknown", reason: "x")],
            into: letters, at: 1000)
        #expect(outcomes == [.buried, .notPending])
        let stored = try letters.list()
        #expect(stored.map(\.delivery.id) == ["msg_a"])
        #expect(stored.first?.delivery.attempts == 3)
        #expect(stored.first?.delivery.lastError == "HTTP 400")
        #expect(stored.first?.reason == "permanent failure: HTTP 400")
        #expect(journal.pendingCount == 1)
        await journal.close()
        #expect(try await recover(dir).deliveries.map(\.id) == ["msg_b"])
    }

    @Test("a dead letter that cannot be written (disk full) leaves the delivery pending; burying again works")
    func buryFailureKeepsPending() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let full = Atomic<Bool>(true)
        var letters = try DeadLetterStore(directory: dir.path + "/dead")
        letters.injectWriteFailure = { full.load(ordering: .relaxed) ? ENOSPC : nil }
        let (journal, _) = try await openJournal(dir)
        try await journal.append([.enqueue(delivery("msg_a"))])
        let first = await journal.bury([BuryRequest(id: "msg_a", reason: "gone")], into: letters, at: 1)
        guard case .failed(let error) = first.first else {
            Issue.record("expected a failure, got \(first)")
            return
        }
        #expect(error.errno == ENOSPC)
        #expect(journal.pendingCount == 1)
        #expect(try letters.list().isEmpty)
        full.store(false, ordering: .relaxed)
        #expect(await journal.bury([BuryRequest(id: "msg_a", reason: "gone")], into: letters, at: 2) == [.buried])
        #expect(journal.pendingCount == 0)
        #expect(try letters.list().map(\.delivery.id) == ["msg_a"])
        await journal.close()
    }
}

@Suite("recovery reads segments in bounded chunks")
struct SegmentScannerTests {
    @Test("records that straddle read chunks, and one larger than a chunk, recover whole; a cut one is the torn tail")
    func recordsAcrossChunks() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let sizes = [700_000, 700_000, 3 * SegmentScanner.chunk, 10, 900_000]
        let deliveries = sizes.enumerated().map { delivery("msg_\($0.offset)", payloadSize: $0.element) }
        let (journal, _) = try await openJournal(dir) { $0.segmentBytes = 64 << 20 }
        for delivery in deliveries { try await journal.append([.enqueue(delivery)]) }
        await journal.close()
        #expect(try await recover(dir).deliveries == deliveries)
        let segment = try #require(try dir.segmentFiles().last)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: "\(dir.path)/\(segment)"))
        let end = try handle.seekToEnd()
        try handle.truncate(atOffset: end - 1000)
        try handle.close()
        let recovery = try await recover(dir)
        #expect(recovery.deliveries == Array(deliveries.dropLast()))
        #expect(recovery.truncatedTail != nil)
    }
}

@Suite("Journal recovery stubs")
struct RecoveredStubTests {
    @Test("recovery hands back one stub per pending delivery, in read order, with its current due time and key")
    func stubsInReadOrder() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, _) = try await openJournal(dir)
        var keyed = delivery("msg_k", enqueuedAt: 1_700_000_000_002)
        keyed.orderingKey = "customer-7"
        try await journal.append([
            .enqueue(delivery("msg_a", enqueuedAt: 1_700_000_000_001)), .enqueue(keyed),
            .enqueue(delivery("msg_b", enqueuedAt: 1_700_000_000_003)), .enqueue(delivery("msg_c", enqueuedAt: 1_700_000_000_003)),
        ])
        try await journal.append([.attempt(id: "msg_a", attempts: 2, notBefore: 1_700_000_009_000, error: "HTTP 503"), .ack(id: "msg_b")])
        await journal.close()

        let recovery = try await recover(dir) { $0.recoverPayloads = false }
        #expect(recovery.pending.map(\.id) == ["msg_a", "msg_k", "msg_c"])
        #expect(recovery.pending[0].notBefore == 1_700_000_009_000)
        #expect(recovery.pending[1].orderingKey == OrderingKey.hash("customer-7"))
        #expect(recovery.pending.allSatisfy { $0.endpoint == "billing" })
        #expect(recovery.deliveries.isEmpty, "no full deliveries unless asked for")
        let full = try await recover(dir)
        #expect(full.deliveries.map(\.id) == recovery.pending.map(\.id))
        #expect(full.deliveries[0].attempts == 2)
    }

    @Test("a delivery settled and enqueued again (a replay) is recovered once, at its new place")
    func replayedOnce() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, _) = try await openJournal(dir)
        try await journal.append([.enqueue(delivery("msg_r", enqueuedAt: 1)), .enqueue(delivery("msg_x", enqueuedAt: 2))])
        try await journal.append([.dead(id: "msg_r", reason: "HTTP 400")])
        try await journal.append([.enqueue(delivery("msg_r", enqueuedAt: 3))])
        await journal.close()
        let recovery = try await recover(dir) { $0.recoverPayloads = false }
        #expect(recovery.pending.map(\.id) == ["msg_x", "msg_r"])
    }

    @Test("a delivery compacted into a later segment keeps its place in read order")
    func compactedKeepsPlace() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, _) = try await openJournal(dir) {
            $0.maxBytes = 64 << 10
            $0.segmentBytes = 4096
        }
        // Segment 1: msg_old and sixteen others; msg_new goes to segment 2. Once the others are
        // acked, compaction moves msg_old to the head segment: behind msg_new on disk.
        let others = (0..<16).map { "msg_p\($0)" }
        try await journal.append([.enqueue(delivery("msg_old", payloadSize: 200, enqueuedAt: 1))]
            + others.map { .enqueue(delivery($0, payloadSize: 200, enqueuedAt: 2)) })
        try await journal.append([.enqueue(delivery("msg_new", payloadSize: 200, enqueuedAt: 100))])
        try await journal.append(others.map { .ack(id: $0) })
        await journal.close()
        let files = try dir.segmentFiles()
        #expect(!files.contains(JournalStore.segmentName(1)), "the first segment was compacted away")
        let recovery = try await recover(dir) { $0.recoverPayloads = false }
        #expect(recovery.pending.map(\.id) == ["msg_old", "msg_new"])
    }
}
