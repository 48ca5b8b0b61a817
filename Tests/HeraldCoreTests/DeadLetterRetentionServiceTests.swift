import Foundation
import HeraldJournal
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import HeraldCore

/// A clock that moves only when the test says so; a sleeper registers before it suspends, so the
/// test can wait for the service to be asleep before moving time past its deadline.
final class ManualClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private struct Sleeper {
        var id: UInt64
        var deadline: Instant
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var nextID: UInt64 = 0
        var sleepers: [Sleeper] = []
        var cancelled: Set<UInt64> = []
        var sleeperWatchers: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    var now: Instant { state.withLock { $0.now } }
    var minimumResolution: Duration { .nanoseconds(1) }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let (resumeNow, watchers) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
                    if deadline <= state.now || state.cancelled.remove(id) != nil { return (true, []) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    defer { state.sleeperWatchers = [] }
                    return (false, state.sleeperWatchers)
                }
                for watcher in watchers { watcher.resume() }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else {
                    state.cancelled.insert(id)
                    return nil
                }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume()
        }
        try Task.checkCancellation()
    }

    /// Returns once someone sleeps on this clock.
    func waitForSleeper() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let asleep = state.withLock { state in
                if !state.sleepers.isEmpty { return true }
                state.sleeperWatchers.append(continuation)
                return false
            }
            if asleep { continuation.resume() }
        }
    }

    /// Moves time on and wakes the sleepers it passed.
    func advance(by duration: Duration) {
        let due = state.withLock { state in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}

@Suite("dead-letter retention service")
struct DeadLetterRetentionServiceTests {
    @Test("passes at start-up and then on each tick of the clock: a letter past max_age goes without any add", .timeLimit(.minutes(1)))
    func timer() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("herald-retention-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: state) }
        let dead = state.appendingPathComponent("dead").path
        let letter = PendingDelivery(id: "msg_1", endpoint: "a", route: "r", eventID: "evt_1", eventType: "t", enqueuedAt: 1,
                                     payload: Array("{}".utf8))
        try DeadLetterStore(directory: dead).add(letter, reason: "HTTP 400", at: 1_000)

        let (passes, report) = AsyncStream.makeStream(of: DeadLetterRetention.Pass.self)
        let letters = try DeadLetterStore(directory: dead, retention: DeadLetterRetention(maxBytes: 1 << 20, maxAge: .seconds(10))) {
            report.yield($0)
        }
        let (journal, _) = try Journal.open(directory: state.appendingPathComponent("journal").path)
        let unixNow = Atomic<Int64>(2_000)
        let clock = ManualClock()
        let service = DeadLetterRetentionService(journal: journal, letters: letters, interval: .seconds(60), clock: clock,
                                                 now: { unixNow.load(ordering: .relaxed) })
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [service], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = passes.makeAsyncIterator()
            // Start-up: the directory is scanned, the young letter kept.
            let first = try #require(await iterator.next())
            #expect(first.kept == 1 && first.removed == 0)
            await clock.waitForSleeper()

            // A minute later by the clock, 61 s after the letter: it is past max_age and goes.
            unixNow.store(62_000, ordering: .relaxed)
            clock.advance(by: .seconds(60))
            let second = try #require(await iterator.next())
            #expect(second.removedForAge == 1)
            #expect(second.kept == 0)
            #expect(try letters.list().isEmpty)
            await clock.waitForSleeper()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        await journal.close()
    }
}
