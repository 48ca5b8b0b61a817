import Foundation
import Synchronization
import Testing

@testable import HeraldJournal

@Suite("journal: failed writes, syncs and reads")
struct JournalFaultTests {
    @Test("a failed fdatasync keeps nothing of the batch, seals the segment, and the retry goes into a new one")
    func failedSyncSealsTheSegment() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let failNext = FailSwitch()
        let reported = Mutex<[JournalError]>([])
        let (journal, _) = try await openJournal(dir) { options in
            options.injectSyncFailure = { failNext.take() ? EIO : nil }
            options.onIOError = { error in reported.withLock { $0.append(error) } }
        }
        try await journal.append([.enqueue(delivery("msg_1"))])
        let goodSize = try dir.fileSize("segment-00000001.log")
        failNext.arm()
        do {
            try await journal.append([.enqueue(delivery("msg_2", payloadSize: 1000))])
            Issue.record("the append succeeded although its sync failed")
        } catch {
            #expect(error.operation == .journalSync && error.errno == EIO, "\(error)")
        }
        #expect(try dir.fileSize("segment-00000001.log") == goodSize, "the unsynced batch is cut off")
        #expect(journal.pendingCount == 1)
        try await journal.append([.enqueue(delivery("msg_2", payloadSize: 1000))])
        #expect(try dir.segmentFiles() == ["segment-00000001.log", "segment-00000002.log"], "the retry went into a new segment")
        await journal.close()
        #expect(reported.withLock { $0.map(\.operation) } == [.journalSync], "reported once")

        let recovery = try await recover(dir)
        #expect(recovery.truncatedTail == nil)
        #expect(recovery.damage.isEmpty)
        #expect(recovery.deliveries.map(\.id) == ["msg_1", "msg_2"])
    }

    @Test("a sync that keeps failing never breaks the journal for good: once syncs work again, appends go on")
    func persistentSyncFailure() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let failing = Mutex(true)
        let (journal, _) = try await openJournal(dir) { options in
            options.injectSyncFailure = { failing.withLock { $0 } ? EIO : nil }
        }
        for _ in 0..<5 {
            await #expect(throws: JournalError.self) { try await journal.append([.enqueue(delivery("msg_1"))]) }
        }
        failing.withLock { $0 = false }
        try await journal.append([.enqueue(delivery("msg_1"))])
        try await journal.append([.enqueue(delivery("msg_2"))])
        #expect(journal.pendingCount == 2)
        await journal.close()
        let recovery = try await recover(dir)
        #expect(recovery.damage.isEmpty && recovery.truncatedTail == nil)
        #expect(recovery.deliveries.map(\.id) == ["msg_1", "msg_2"])
    }

    @Test("a failed write is reported once per batch, marked as an append, however many callers it fails")
    func failedWriteReportedOnce() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let failNext = FailSwitch()
        let reported = Mutex<[JournalError]>([])
        let (journal, _) = try await openJournal(dir) { options in
            options.injectWriteFailure = { _ in failNext.take() ? EIO : nil }
            options.onIOError = { error in reported.withLock { $0.append(error) } }
            options.maxBatchDelay = .milliseconds(50)
        }
        try await journal.append([.enqueue(delivery("msg_0"))])
        failNext.arm()
        let failures = await withTaskGroup(of: JournalError?.self) { group in
            for index in 1...4 {
                group.addTask {
                    do throws(JournalError) {
                        try await journal.append([.enqueue(delivery("msg_\(index)"))])
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            return await group.reduce(into: [JournalError]()) { if let error = $1 { $0.append(error) } }
        }
        #expect(!failures.isEmpty)
        #expect(failures.allSatisfy { $0.operation == .journalAppend && $0.errno == EIO })
        #expect(reported.withLock { $0.count } == 1, "one failed write, one report")
        await journal.close()
    }

    @Test("a failed read-back is reported once per call and marked as a read-back; an unknown id is not a failure")
    func failedReadReported() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let failing = Mutex(false)
        let reported = Mutex<[JournalError]>([])
        let (journal, _) = try await openJournal(dir) { options in
            options.injectReadFailure = { failing.withLock { $0 } ? EIO : nil }
            options.onIOError = { error in reported.withLock { $0.append(error) } }
        }
        try await journal.append((1...3).map { .enqueue(delivery("msg_\($0)")) })
        #expect(await journal.read(["nope"]) == [.notPending])
        failing.withLock { $0 = true }
        let results = await journal.read(["msg_1", "msg_2", "msg_3"])
        #expect(results.allSatisfy { $0.failure?.operation == .readBack })
        #expect(reported.withLock { $0.map(\.operation) } == [.readBack])
        failing.withLock { $0 = false }
        #expect(await journal.read(["msg_1"]).first?.delivery?.id == "msg_1")
        await journal.close()
    }
}
