import Foundation
import Glibc
import Testing

@testable import HeraldSource

@Suite("directory wake-ups")
struct DirectoryWakeupsTests {
    @Test("a file renamed into the directory wakes a waiter that started first")
    func renameWakes() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let wakeups = try #require(DirectoryWakeups(directory: dir.path, mask: DirectoryWakeups.filesArriving))
        let clock = ContinuousClock()
        let started = clock.now
        async let woke: Void = wakeups.wait(timeout: .seconds(30))
        try "x".write(toFile: dir.file(".tmp-request"), atomically: false, encoding: .utf8)
        #expect(rename(dir.file(".tmp-request"), dir.file("request.replay")) == 0)
        await woke
        #expect(clock.now - started < .seconds(10), "woken by the event, not by the timeout")
    }

    @Test("an event before the wait is kept for it; many events are one wake-up")
    func eventsAreLatched() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let wakeups = try #require(DirectoryWakeups(directory: dir.path, mask: DirectoryWakeups.filesArriving))
        for name in ["a", "b", "c"] { try "x".write(toFile: dir.file(name), atomically: false, encoding: .utf8) }
        let clock = ContinuousClock()
        var started = clock.now
        await wakeups.wait(timeout: .seconds(30))
        #expect(clock.now - started < .seconds(10))
        // Let the handler see every event, then a second wait has nothing left and times out.
        try await Task.sleep(for: .milliseconds(100))
        await wakeups.wait(timeout: .zero)
        started = clock.now
        await wakeups.wait(timeout: .milliseconds(50))
        #expect(clock.now - started >= .milliseconds(50))
    }

    @Test("cancelling the waiting task ends the wait")
    func cancellation() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let wakeups = try #require(DirectoryWakeups(directory: dir.path, mask: DirectoryWakeups.filesArriving))
        let waiter = Task { await wakeups.wait() }
        waiter.cancel()
        await waiter.value
    }

    @Test("a directory that does not exist cannot be watched")
    func missingDirectory() {
        #expect(DirectoryWakeups(directory: "/nonexistent-\(UUID().uuidString)", mask: DirectoryWakeups.filesArriving) == nil)
    }
}
