import Foundation
import Glibc
import Testing

@testable import HeraldSource

@Suite("directory wake-ups")
struct DirectoryWakeupsTests {
    // Waits without a timeout: only the event can end them (the time limit catches a wake-up that never comes).
    @Test("a file renamed into the directory wakes a waiter that started first", .timeLimit(.minutes(1)))
    func renameWakes() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let wakeups = try #require(DirectoryWakeups(directory: dir.path, mask: DirectoryWakeups.filesArriving))
        async let woke: Void = wakeups.wait()
        try "x".write(toFile: dir.file(".tmp-request"), atomically: false, encoding: .utf8)
        #expect(rename(dir.file(".tmp-request"), dir.file("request.replay")) == 0)
        await woke
    }

    @Test("an event before the wait is kept for it", .timeLimit(.minutes(1)))
    func eventIsLatched() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let wakeups = try #require(DirectoryWakeups(directory: dir.path, mask: DirectoryWakeups.filesArriving))
        try "x".write(toFile: dir.file("a"), atomically: false, encoding: .utf8)
        await wakeups.wait()
    }

    @Test("with nothing new in the directory, a wait ends at its timeout")
    func timeout() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let wakeups = try #require(DirectoryWakeups(directory: dir.path, mask: DirectoryWakeups.filesArriving))
        let clock = ContinuousClock()
        let started = clock.now
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
