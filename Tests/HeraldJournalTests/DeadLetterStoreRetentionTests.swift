import Foundation
import Glibc
import Synchronization
import Testing

@testable import HeraldJournal

/// Retention applied by a real store on a real directory, with the time passed in.
@Suite("Dead-letter retention on disk")
struct DeadLetterStoreRetentionTests {
    /// The passes a store reported.
    final class Passes: Sendable {
        private let passes = Mutex<[DeadLetterRetention.Pass]>([])
        func append(_ pass: DeadLetterRetention.Pass) { passes.withLock { $0.append(pass) } }
        func withLock<T>(_ body: ([DeadLetterRetention.Pass]) -> T) -> T { passes.withLock { body($0) } }
    }

    /// A store in `dir/dead` whose passes are collected.
    func store(_ dir: TemporaryDirectory, maxBytes: Int64, maxAge: Duration = .seconds(86_400)) throws -> (DeadLetterStore, Passes) {
        let passes = Passes()
        let store = try DeadLetterStore(directory: "\(dir.path)/dead", retention: DeadLetterRetention(maxBytes: maxBytes, maxAge: maxAge)) {
            pass in passes.append(pass)
        }
        return (store, passes)
    }

    /// What the letter files take on disk, measured independently of the store.
    func measuredBytes(_ directory: String) throws -> Int64 {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".dead") && !$0.hasPrefix(".") }.reduce(0) { total, name in
            var info = stat()
            #expect(lstat("\(directory)/\(name)", &info) == 0)
            return total + Int64(info.st_blocks) * 512
        }
    }

    @Test("past max_bytes each batch removes the oldest letters: the store stays under the cap and keeps the newest")
    func maxBytes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let cap: Int64 = 64 << 10
        let (store, passes) = try store(dir, maxBytes: cap)
        var added = 0
        for batch in 0..<12 {
            let letters = (0..<5).map { i -> (delivery: PendingDelivery, reason: String) in
                (delivery(String(format: "msg_%03d", batch * 5 + i), payloadSize: 3000), "HTTP 400")
            }
            try store.add(letters, at: Int64(1_000 * (batch + 1)))
            added += letters.count
            #expect(try measuredBytes(store.directory) <= cap)
            #expect(store.bytesStored == (try measuredBytes(store.directory)))
        }
        let kept = try store.list().map(\.delivery.id)
        let removed = passes.withLock { $0.reduce(0) { $0 + $1.removedForBytes } }
        #expect(removed > 0)
        #expect(kept.count + removed == added)
        // The newest letters are the ones kept, all of them.
        let newest = (0..<added).map { String(format: "msg_%03d", $0) }.suffix(kept.count).reversed()
        #expect(kept == Array(newest))
        #expect(passes.withLock { $0.allSatisfy { $0.removedForAge == 0 && $0.failure == nil } })
    }

    @Test("a letter's file time is its dead-letter time, and a pass at a later time removes those past max_age without an add")
    func maxAge() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (store, passes) = try store(dir, maxBytes: 1 << 30, maxAge: .seconds(10))
        try store.add(delivery("msg_a"), reason: "HTTP 400", at: 1_700_000_000_000)
        try store.add(delivery("msg_b"), reason: "HTTP 400", at: 1_700_000_001_000)
        try store.add(delivery("msg_c"), reason: "HTTP 400", at: 1_700_000_005_000)
        var info = stat()
        #expect(stat("\(store.directory)/msg_b.dead", &info) == 0)
        #expect(Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000 == 1_700_000_001_000)

        // Nothing is 10 s old yet: no scan.
        let scansBefore = passes.withLock { $0.count }
        #expect(store.applyRetention(now: 1_700_000_010_000) == nil)
        #expect(passes.withLock { $0.count } == scansBefore)

        let pass = try #require(store.applyRetention(now: 1_700_000_011_500))
        #expect(pass.removedForAge == 2)
        #expect(pass.removedForBytes == 0)
        #expect(pass.kept == 1)
        #expect(try store.list().map(\.delivery.id) == ["msg_c"])
        // The oldest kept letter is 6.5 s old: the next look reads nothing.
        #expect(store.applyRetention(now: 1_700_000_011_600) == nil)
    }

    @Test("the first pass scans what an earlier run left, and a temporary file abandoned over an hour ago is deleted")
    func startUpScan() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let earlier = try DeadLetterStore(directory: "\(dir.path)/dead")
        for i in 0..<20 { try earlier.add(delivery("msg_\(i)", payloadSize: 3000), reason: "r", at: Int64(i)) }
        let abandoned = "\(dir.path)/dead/.tmp-1-2-msg_x.dead"
        try Data("half".utf8).write(to: URL(fileURLWithPath: abandoned))
        var old = [timespec(tv_sec: 0, tv_nsec: 0), timespec(tv_sec: 0, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, abandoned, &old, 0) == 0)

        let (store, _) = try store(dir, maxBytes: 32 << 10)
        #expect(store.bytesStored == 0)  // not scanned yet
        let pass = try #require(store.applyRetention(now: 3_600_001))
        #expect(pass.removedForBytes > 0)
        #expect(pass.kept + pass.removedForBytes == 20)
        #expect(store.bytesStored == (try measuredBytes(store.directory)))
        #expect(store.bytesStored <= 32 << 10)
        #expect(!FileManager.default.fileExists(atPath: abandoned))
    }

    @Test("bytesStored follows adds, replacements and removals between passes")
    func usage() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (store, _) = try store(dir, maxBytes: 1 << 30)
        try store.add(delivery("msg_1", payloadSize: 10_000), reason: "r", at: 1)
        try store.add(delivery("msg_2", payloadSize: 100), reason: "r", at: 2)
        #expect(store.bytesStored == (try measuredBytes(store.directory)))
        try store.add(delivery("msg_1", payloadSize: 100), reason: "again", at: 3)
        #expect(store.bytesStored == (try measuredBytes(store.directory)))
        try store.remove(ids: ["msg_2"])
        #expect(store.bytesStored == (try measuredBytes(store.directory)))
        #expect(store.bytesStored > 0)
    }

    @Test("bytes counted beside the journal take its room; a retention pass publishes the room it frees to a waiter")
    func budget() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let beside = Atomic<Int64>(0)
        let (letters, _) = try store(dir, maxBytes: 1 << 20)
        let (journal, _) = try Journal.open(directory: "\(dir.path)/journal", options: {
            var options = JournalOptions(maxBytes: 1 << 20)
            options.countedBeside = { beside.load(ordering: .relaxed) + letters.bytesStored }
            return options
        }())
        try await journal.append([.enqueue(delivery("msg_1"))])
        #expect(journal.hasRoom())
        beside.store((1 << 20) - journal.bytesOnDisk, ordering: .relaxed)
        try await journal.append([.ack(id: "unknown")])  // any batch publishes the stats
        #expect(!journal.hasRoom())

        let resumed = Task { try await journal.waitForRoom() }
        beside.store(0, ordering: .relaxed)
        _ = await journal.applyRetention(to: letters, now: 0)
        try await resumed.value
        #expect(journal.hasRoom())

        // The store's own bytes count the same way: letters past the budget leave no room.
        beside.store((1 << 20) - journal.bytesOnDisk - 4096, ordering: .relaxed)
        _ = await journal.bury([BuryRequest(id: "msg_1", reason: "HTTP 400")], into: letters, at: 1)
        #expect(letters.bytesStored >= 4096)
        #expect(!journal.hasRoom())
        await journal.close()
    }
}

/// A measurement run by hand, not a timed test: `HERALD_JOURNAL_BENCH=1 swift test --filter DeadLetterRetentionCost`.
/// Prints what a full retention pass (the scan at start-up, or at the cap) costs per letter.
@Suite("Dead-letter retention cost (manual)")
struct DeadLetterRetentionCost {
    @Test("a full pass over 20,000 letters", .enabled(if: ProcessInfo.processInfo.environment["HERALD_JOURNAL_BENCH"] != nil))
    func fullPass() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let writer = try DeadLetterStore(directory: "\(dir.path)/dead")
        let letters = (0..<20_000).map { (delivery: delivery("msg_\($0)", payloadSize: 300), reason: "HTTP 400") }
        let clock = ContinuousClock()
        var start = clock.now
        for chunk in stride(from: 0, to: letters.count, by: 256) {
            try writer.add(Array(letters[chunk..<min(chunk + 256, letters.count)]), at: Int64(chunk))
        }
        let adding = clock.now - start
        let store = try DeadLetterStore(directory: "\(dir.path)/dead", retention: DeadLetterRetention(maxBytes: 1 << 40))
        start = clock.now
        let pass = try #require(store.applyRetention(now: 20_000))
        let scan = clock.now - start
        start = clock.now
        let idle = store.applyRetention(now: 20_001)
        let look = clock.now - start
        print("added 20,000 letters in \(adding) (\(adding / 20_000) each); full pass \(scan) (\(scan / 20_000) per letter), "
            + "kept \(pass.kept) = \(pass.keptBytes) bytes; a look with nothing to do \(look) (\(idle == nil ? "no scan" : "scanned"))")
    }
}
