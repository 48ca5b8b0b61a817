import Foundation
import Synchronization
import Testing

@testable import HeraldJournal

@Suite("Journal.waitForRoom")
struct JournalRoomTests {
    /// Fills a journal with a 32 KiB budget until it has no room; returns the ids enqueued.
    func fullJournal(_ dir: TemporaryDirectory) async throws -> (Journal, [String]) {
        let (journal, _) = try await openJournal(dir) {
            $0.maxBytes = 32 << 10
            $0.segmentBytes = 8 << 10
        }
        var ids: [String] = []
        while journal.hasRoom() && ids.count < 100 {
            ids.append("msg_\(ids.count)")
            try await journal.append([.enqueue(delivery(ids.last!, payloadSize: 1000))])
        }
        #expect(!journal.hasRoom())
        return (journal, ids)
    }

    @Test("a waiter on a journal at its budget resumes when an ack frees space, without polling")
    func resumesOnAck() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, ids) = try await fullJournal(dir)
        let resumed = Atomic<Bool>(false)
        let waiter = Task {
            try await journal.waitForRoom()
            resumed.store(true, ordering: .sequentiallyConsistent)
        }
        // Still waiting: nothing was freed. (A batch that frees nothing publishes stats too.)
        try await journal.append([.ack(id: "unknown")])
        let resumedEarly = resumed.load(ordering: .sequentiallyConsistent)
        #expect(!resumedEarly)
        try await journal.append(ids.map { .ack(id: $0) })
        try await waiter.value
        let resumedAfterAcks = resumed.load(ordering: .sequentiallyConsistent)
        #expect(resumedAfterAcks)
        #expect(journal.hasRoom())
        await journal.close()
    }

    @Test("a journal with room returns at once")
    func returnsAtOnce() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, _) = try await openJournal(dir)
        try await journal.waitForRoom()
        await journal.close()
    }

    @Test("cancelling the waiting task throws CancellationError")
    func cancelled() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, _) = try await fullJournal(dir)
        let waiter = Task { try await journal.waitForRoom() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        await journal.close()
    }

    @Test("closing the journal ends a wait with .closed")
    func closed() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, _) = try await fullJournal(dir)
        let waiter = Task { try await journal.waitForRoom() }
        await journal.close()
        await #expect { try await waiter.value } throws: { ($0 as? JournalError)?.code == .closed }
    }
}
