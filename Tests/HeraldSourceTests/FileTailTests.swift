import Foundation
import Synchronization
import Glibc
import HeraldSource
import Testing

@Suite("FileTail with real files")
struct FileTailTests {
    @Test(
        "every line is delivered once, in order, while a writer appends in chunks that split lines",
        arguments: [true, false])
    func concurrentWriter(useInotify: Bool) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        let expected = numbered(1...20_000)
        let bytes = Array(expected.map { $0 + "\n" }.joined().utf8)
        let writer = Writer(path)
        let tail = FileTail(tailConfiguration(path, useInotify: useInotify, limits: LineLimits(maxBatchLines: 1000)))
        let writing = Task.detached {
            var index = 0
            var size = 7
            while index < bytes.count {
                let end = min(bytes.count, index + size)
                writer.write(Array(bytes[index..<end]))
                index = end
                size = size * 7 % 3001 + 1
                if index % 16 == 0 { try await Task.sleep(for: .microseconds(200)) }
            }
        }
        let (lines, batches) = try await collect(tail, count: expected.count)
        try await writing.value
        #expect(lines.map(\.text) == expected)
        #expect(lines.map(\.lineNumber) == Array(1...expected.count))
        #expect(batches.allSatisfy { $0.lines.count <= 1000 })
        #expect(batches.last?.checkpoint?.offset == Int64(bytes.count))
        #expect(batches.last?.checkpoint?.lineNumber == expected.count)
        #expect(try await linesArriving(from: tail).isEmpty)
    }

    @Test("a partial last line is held until its newline, and the checkpoint never covers it")
    func partialLine() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        let writer = Writer(path)
        writer.write("first\npart")
        let tail = FileTail(tailConfiguration(path))
        let first = try #require(try await tail.next())
        #expect(first.lines.map(\.text) == ["first"])
        #expect(first.checkpoint?.offset == 6)
        writer.write("ial\nlast\n")
        let (rest, _) = try await collect(tail, count: 2)
        #expect(rest.map(\.text) == ["partial", "last"])
        #expect(rest.map(\.lineNumber) == [2, 3])
    }

    @Test("a new tail started from a saved checkpoint delivers exactly the lines after it")
    func resumeFromCheckpoint() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        let store = CheckpointStore(path: directory.file("checkpoint.json"))
        append(path, numbered(1...10).map { $0 + "\n" }.joined())
        let first = FileTail(tailConfiguration(path, limits: LineLimits(maxBatchLines: 4)))
        let batch = try #require(try await first.next())
        #expect(batch.lines.map(\.text) == numbered(1...4))
        try store.save(try #require(batch.checkpoint))
        first.stop()

        append(path, numbered(11...15).map { $0 + "\n" }.joined())
        let checkpoint = try store.load()
        #expect(checkpoint?.lineNumber == 4)
        let second = FileTail(tailConfiguration(path, checkpoint: checkpoint))
        let (lines, _) = try await collect(second, count: 11)
        #expect(lines.map(\.text) == numbered(5...15))
        #expect(lines.first?.lineNumber == 5)
        #expect(try await linesArriving(from: second).isEmpty)
    }

    @Test("a checkpoint whose file was replaced by another inode reads the new file from 0")
    func replacedByAnotherInode() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        append(path, "old-1\nold-2\n")
        let first = FileTail(tailConfiguration(path))
        let checkpoint = try #require(try await first.next()?.checkpoint)
        first.stop()
        // Moved out of the directory (so not found as a renamed sibling), keeping its inode in use.
        #expect(mkdir(directory.file("archive"), 0o700) == 0)
        #expect(rename(path, directory.file("archive/app.log")) == 0)
        append(path, "new-1\nnew-2\nnew-3\n")
        #expect(identity(of: path)?.inode != checkpoint.inode)

        let reasons = NoticeLog()
        let second = FileTail(tailConfiguration(path, startAt: .end, checkpoint: checkpoint), onNotice: reasons.record)
        let (lines, _) = try await collect(second, count: 3)
        #expect(lines.map(\.text) == ["new-1", "new-2", "new-3"])
        #expect(reasons.reasons == [.checkpointMismatch])
    }

    @Test("a checkpoint whose file was renamed by a rotation while stopped: its rest, then the new file")
    func resumeInRenamedFile() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        append(path, numbered(1...10).map { $0 + "\n" }.joined())
        let first = FileTail(tailConfiguration(path, limits: LineLimits(maxBatchLines: 4)))
        let checkpoint = try #require(try await first.next()?.checkpoint)
        first.stop()
        #expect(rename(path, path + ".1") == 0)
        append(path, "new-1\nnew-2\n")

        let reasons = NoticeLog()
        let second = FileTail(tailConfiguration(path, checkpoint: checkpoint), onNotice: reasons.record)
        let (lines, batches) = try await collect(second, count: 8)
        #expect(lines.map(\.text) == numbered(5...10) + ["new-1", "new-2"])
        #expect(lines.map(\.lineNumber) == [5, 6, 7, 8, 9, 10, 1, 2])
        #expect(reasons.reasons == [.resumedRenamed, .rotated])
        #expect(batches.first?.checkpoint?.inode == checkpoint.inode)
        #expect(batches.last?.checkpoint?.inode == identity(of: path)?.inode)
        #expect(try await linesArriving(from: second).isEmpty)
    }

    @Test("a checkpoint whose file kept its inode but changed its first bytes reads it from 0")
    func rewrittenSameInode() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        append(path, "old-1\nold-2\n")
        let first = FileTail(tailConfiguration(path))
        let checkpoint = try #require(try await first.next()?.checkpoint)
        first.stop()
        Writer(path, truncate: true).write("NEW-1\nNEW-2\nNEW-3\n")
        #expect(identity(of: path)?.inode == checkpoint.inode)

        let second = FileTail(tailConfiguration(path, checkpoint: checkpoint))
        let (lines, _) = try await collect(second, count: 3)
        #expect(lines.map(\.text) == ["NEW-1", "NEW-2", "NEW-3"])
    }

    @Test(
        "rename rotation while the writer keeps writing to the old file, then the new one: no loss, no duplicate",
        arguments: [(true, false), (true, true), (false, false), (false, true)]
    )
    func renameRotation(useInotify: Bool, createNewFileEarly: Bool) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        let old = Writer(path)
        let reasons = NoticeLog()
        let tail = FileTail(tailConfiguration(path, useInotify: useInotify), onNotice: reasons.record)
        let reading = Task { try await collect(tail, count: 5000) }
        try await eventually { reasons.reasons == [.firstRun] }  // the tail has the file open
        let writing = Task.detached {
            for n in 1...3000 {
                old.write("line-\(n)\n")
                if n % 100 == 0 { try await Task.sleep(for: .milliseconds(1)) }
            }
            #expect(rename(path, path + ".1") == 0)
            // logrotate's `create` makes the new, empty file before the writer reopens.
            if createNewFileEarly { _ = Writer(path) }
            for n in 3001...3500 {
                old.write("line-\(n)\n")
                if n % 100 == 0 { try await Task.sleep(for: .milliseconds(1)) }
            }
            old.write("line-3501 is writ")
            old.write("ten late\n")
            let new = Writer(path)
            for n in 3502...5000 {
                new.write("line-\(n)\n")
                if n % 100 == 0 { try await Task.sleep(for: .milliseconds(1)) }
            }
        }
        let (lines, batches) = try await reading.value
        try await writing.value
        var expected = numbered(1...5000)
        expected[3500] = "line-3501 is written late"
        #expect(lines.map(\.text) == expected)
        #expect(lines[3501].lineNumber == 1)
        #expect(reasons.reasons == [.firstRun, .rotated])
        #expect(batches.last?.checkpoint?.inode == identity(of: path)?.inode)
        #expect(try await linesArriving(from: tail).isEmpty)
    }

    @Test("five rename rotations under a continuous writer: every line once, in order", arguments: [true, false])
    func repeatedRotations(useInotify: Bool) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        let reasons = NoticeLog()
        var writer = Writer(path)
        let tail = FileTail(tailConfiguration(path, useInotify: useInotify), onNotice: reasons.record)
        let total = 6 * 900 + 5 * 101
        let reading = Task { try await collect(tail, count: total) }
        try await eventually { reasons.reasons == [.firstRun] }
        var n = 0
        for rotation in 0...5 {
            for _ in 0..<900 {
                n += 1
                writer.write("line-\(n)\n")
            }
            if rotation == 5 { break }
            #expect(rename(path, path + ".\(rotation)") == 0)
            if rotation % 2 == 0 { _ = Writer(path) }  // logrotate `create`
            for _ in 0..<100 {
                n += 1
                writer.write("line-\(n)\n")  // late writes to the renamed file
            }
            writer = Writer(path)
            n += 1
            writer.write("line-\(n)\n")
            // Two rotations between two looks would skip the middle file: let the tail switch first.
            try await eventually { reasons.reasons.filter { $0 == .rotated }.count == rotation + 1 }
        }
        let (lines, _) = try await reading.value
        #expect(n == total)
        #expect(lines.map(\.text) == numbered(1...total))
        #expect(reasons.reasons.filter { $0 == .rotated }.count == 5)
    }

    @Test("with inotify, writes (also late writes to the renamed file) wake the tail long before the safety poll")
    func inotifyWakesTail() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        let old = Writer(path)
        var configuration = tailConfiguration(path)
        configuration.pollInterval = .seconds(600)
        let tail = FileTail(configuration)
        /// Starts waiting for one line, lets the tail block, then writes it.
        func arrives(_ write: () -> Void) async throws -> [String] {
            let waiting = Task { try await collect(tail, count: 1, within: .seconds(60)) }
            try await Task.sleep(for: .milliseconds(100))  // pacing only: let the tail block first
            write()
            return try await waiting.value.lines.map(\.text)
        }
        #expect(try await arrives { old.write("one\n") } == ["one"])
        #expect(try await arrives { old.write("two\n") } == ["two"])
        #expect(rename(path, path + ".1") == 0)
        _ = Writer(path)
        #expect(try await arrives { old.write("late\n") } == ["late"])
        #expect(try await arrives { Writer(path).write("new\n") } == ["new"])
    }

    @Test("copytruncate: the tail restarts from 0 once it sees the file shorter than what it read")
    func copyTruncate() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        let writer = Writer(path)
        writer.write(numbered(1...10).map { $0 + "\n" }.joined())
        let reasons = NoticeLog()
        let tail = FileTail(tailConfiguration(path), onNotice: reasons.record)
        #expect(try await collect(tail, count: 10).lines.count == 10)
        #expect(truncate(path, 0) == 0)
        writer.write("after-1\nafter-2\n")
        let (lines, batches) = try await collect(tail, count: 2)
        #expect(lines.map(\.text) == ["after-1", "after-2"])
        #expect(lines.map(\.lineNumber) == [1, 2])
        #expect(batches.last?.checkpoint?.offset == 16)
        #expect(reasons.reasons == [.firstRun, .truncated])
    }

    /// A refill past the old offset *with the same first bytes* before the tail looks is not
    /// detectable and loses the lines between: copytruncate is documented as lossy (PLATFORM.md).
    @Test("copytruncate refilled past the old offset with new first bytes is still read from 0")
    func copyTruncateRefilled() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        let writer = Writer(path)
        writer.write("aaa-1\naaa-2\n")
        let tail = FileTail(tailConfiguration(path))
        #expect(try await collect(tail, count: 2).lines.count == 2)
        #expect(truncate(path, 0) == 0)
        writer.write(numbered(1...50, prefix: "bbb").map { $0 + "\n" }.joined())
        let (lines, _) = try await collect(tail, count: 50)
        #expect(lines.map(\.text) == numbered(1...50, prefix: "bbb"))
    }

    @Test("a file absent at start is read from its first line once created, even with startAt end")
    func absentAtStart() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        let reasons = NoticeLog()
        let tail = FileTail(tailConfiguration(path, startAt: .end), onNotice: reasons.record)
        let reading = Task { try await collect(tail, count: 2) }
        try await eventually { reasons.all == [.waitingForFile] }
        append(path, "one\ntwo\n")
        let (lines, _) = try await reading.value
        #expect(lines.map(\.text) == ["one", "two"])
        #expect(lines.map(\.lineNumber) == [1, 2])
        #expect(reasons.all.first == .waitingForFile)
        #expect(reasons.reasons == [.appeared])
    }

    @Test("deleted then re-created: the new file is read from its first line")
    func deletedAndRecreated() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        append(path, "before-1\nbefore-2\n")
        let tail = FileTail(tailConfiguration(path))
        #expect(try await collect(tail, count: 2).lines.map(\.text) == ["before-1", "before-2"])
        #expect(unlink(path) == 0)
        try await Task.sleep(for: .milliseconds(100))  // pacing: let the tail see the name vanish
        append(path, "after-1\nafter-2\n")
        let (lines, _) = try await collect(tail, count: 2)
        #expect(lines.map(\.text) == ["after-1", "after-2"])
        #expect(lines.first?.lineNumber == 1)
    }

    @Test("startAt end skips existing lines and the line in progress, then follows")
    func startAtEnd() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        let writer = Writer(path)
        writer.write("old-1\nold-2\nin-prog")
        let reasons = NoticeLog()
        let tail = FileTail(tailConfiguration(path, startAt: .end), onNotice: reasons.record)
        let waiting = Task { try await collect(tail, count: 1) }
        try await eventually { reasons.reasons == [.firstRun] }
        writer.write("ress\nnew-1\n")
        let (lines, batches) = try await waiting.value
        #expect(lines.map(\.text) == ["new-1"])
        #expect(lines.first?.lineNumber == nil)
        #expect(batches.last?.checkpoint?.lineNumber == nil)
    }

    @Test("a 10 MB line with maxLineBytes 1 MiB is reported oversized with a prefix, and the next lines flow")
    func oversizedLine() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        let writer = Writer(path)
        writer.write("before\n")
        let huge = [UInt8](repeating: UInt8(ascii: "x"), count: 10_000_000)
        writer.write(huge + Array("\nafter-1\nafter-2\n".utf8))
        let tail = FileTail(tailConfiguration(path))
        let (lines, batches) = try await collect(tail, count: 4)
        #expect(lines.count == 4)
        #expect(lines.map(\.oversized) == [nil, 10_000_000, nil, nil])
        #expect(lines[1].bytes.count == 1 << 20)
        #expect(lines[1].bytes.allSatisfy { $0 == UInt8(ascii: "x") })
        #expect(lines.map(\.text).filter { $0.count < 100 } == ["before", "after-1", "after-2"])
        #expect(lines.map(\.lineNumber) == [1, 2, 3, 4])
        #expect(batches.last?.checkpoint?.offset == Int64(7 + 10_000_001 + 16))
    }

    @Test("invalid UTF-8, NUL and CR bytes pass through untouched")
    func rawBytes() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        let odd: [[UInt8]] = [[0xFF, 0xFE, 0x80], [0x00, 0x41, 0x00], [0x43, 0x0D], [0xC3, 0x28]]
        Writer(path).write(odd.flatMap { $0 + [0x0A] })
        let tail = FileTail(tailConfiguration(path))
        let (lines, _) = try await collect(tail, count: 4)
        #expect(lines.map { Array($0.bytes) } == odd)
    }

    @Test("a FIFO or a directory at the path is not followed (as if absent), and does not block the tail")
    func notARegularFile() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let fifo = directory.file("fifo.log")
        #expect(mkfifo(fifo, 0o600) == 0)
        let fifoTail = FileTail(tailConfiguration(fifo))
        #expect(try await linesArriving(from: fifoTail).isEmpty)
        let subdirectory = directory.file("dir.log")
        #expect(mkdir(subdirectory, 0o700) == 0)
        let directoryTail = FileTail(tailConfiguration(subdirectory))
        #expect(try await linesArriving(from: directoryTail).isEmpty)
    }

    @Test("stop() ends a next() that is waiting for lines")
    func stopInterrupts() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let tail = FileTail(tailConfiguration(directory.file("app.log")))
        let stopper = Task {
            try await Task.sleep(for: .milliseconds(100))
            tail.stop()
        }
        #expect(try await tail.next() == nil)
        #expect(try await tail.next() == nil)
        _ = try await stopper.value
    }

    @Test("cancelling the waiting task throws CancellationError, and the tail stays usable")
    func cancellation() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        let tail = FileTail(tailConfiguration(path))
        let waiting = Task { try await tail.next() }
        try await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        append(path, "still-here\n")
        #expect(try await collect(tail, count: 1).lines.map(\.text) == ["still-here"])
    }
}

/// Collects the tail's notices from its queue.
final class NoticeLog: Sendable {
    private let notices = Mutex<[FileTail.Notice]>([])

    var all: [FileTail.Notice] { notices.withLock { $0 } }

    /// The reasons of the `.positioned` notices.
    var reasons: [TailReason] {
        all.compactMap {
            if case .positioned(let reason, _, _) = $0 { reason } else { nil }
        }
    }

    var record: @Sendable (FileTail.Notice) -> Void {
        { notice in self.notices.withLock { $0.append(notice) } }
    }
}
