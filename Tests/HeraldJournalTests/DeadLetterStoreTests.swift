import Foundation
import Testing

@testable import HeraldJournal

@Suite("Dead letters")
struct DeadLetterStoreTests {
    @Test("added letters are listed newest first with their delivery, reason and time")
    func addAndList() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let store = try DeadLetterStore(directory: "\(dir.path)/dead")
        var retried = delivery("msg_old", payloadSize: 3000, attempts: 9)
        retried.lastError = "HTTP 503"
        try store.add(retried, reason: "retry schedule exhausted", at: 1_000)
        try store.add(delivery("msg_new"), reason: "HTTP 400", at: 3_000)
        try store.add(delivery("msg/odd id.ü"), reason: "410 Gone", at: 2_000)

        let reopened = try DeadLetterStore(directory: "\(dir.path)/dead")
        let letters = try reopened.list()
        #expect(letters.map(\.delivery.id) == ["msg_new", "msg/odd id.ü", "msg_old"])
        #expect(letters[2] == DeadLetter(delivery: retried, reason: "retry schedule exhausted", deadAt: 1_000))
        #expect(try reopened.get(id: "msg/odd id.ü")?.reason == "410 Gone")
        #expect(try reopened.get(id: "msg_missing") == nil)
    }

    @Test("removed letters are gone for good, and removing an unknown id is harmless")
    func remove() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let store = try DeadLetterStore(directory: "\(dir.path)/dead")
        for i in 0..<4 { try store.add(delivery("msg_\(i)"), reason: "HTTP 400", at: Int64(i)) }
        #expect(try store.remove(ids: ["msg_1", "msg_3", "msg_unknown"]) == 2)
        #expect(try store.list().map(\.delivery.id) == ["msg_2", "msg_0"])
        #expect(try store.remove(ids: ["msg_1"]) == 0)
    }

    @Test("adding the same delivery id again replaces its letter")
    func replace() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let store = try DeadLetterStore(directory: "\(dir.path)/dead")
        try store.add(delivery("msg_1"), reason: "first", at: 1)
        try store.add(delivery("msg_1", attempts: 3), reason: "second", at: 2)
        let letters = try store.list()
        #expect(letters.count == 1)
        #expect(letters.first?.reason == "second")
    }

    @Test("a damaged letter file is reported as unreadable and does not hide the others")
    func damagedFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let store = try DeadLetterStore(directory: "\(dir.path)/dead")
        try store.add(delivery("msg_1"), reason: "r", at: 1)
        try store.add(delivery("msg_2"), reason: "r", at: 2)
        let path = "\(dir.path)/dead/msg_2.dead"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 3] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        try Data("half a letter".utf8).write(to: URL(fileURLWithPath: "\(dir.path)/dead/.tmp-1-2-msg_3.dead"))

        let (letters, unreadable) = try store.scan()
        #expect(letters.map(\.delivery.id) == ["msg_1"])
        #expect(unreadable == ["msg_2.dead"])
    }
}

@Suite("Replay spool")
struct ReplaySpoolTests {
    @Test("take() collects every submitted request, oldest first and each id once, and deletes them")
    func takeCollects() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let cli = try ReplaySpool(directory: "\(dir.path)/replay")
        try cli.submit(ids: ["msg_3", "msg_1"], now: 2_000)
        try cli.submit(ids: ["msg_9"], now: 1_000)
        try cli.submit(ids: ["msg_1", "msg_4"], now: 3_000)

        let sidecar = try ReplaySpool(directory: "\(dir.path)/replay")
        #expect(try sidecar.take() == ["msg_9", "msg_3", "msg_1", "msg_4"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(dir.path)/replay").isEmpty)
        #expect(try sidecar.take().isEmpty, "a request is taken once")
    }

    @Test("a partially written temporary file and an unterminated request are ignored")
    func partialFilesIgnored() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let spool = try ReplaySpool(directory: "\(dir.path)/replay")
        let temporary = "\(dir.path)/replay/.tmp-42-7-000000000001000-42-7.replay"
        try Data("herald-replay 1\nmsg_half\n".utf8).write(to: URL(fileURLWithPath: temporary))
        let unterminated = "\(dir.path)/replay/000000000000500-1-1.replay"
        try Data("herald-replay 1\nmsg_cut".utf8).write(to: URL(fileURLWithPath: unterminated))
        try spool.submit(ids: ["msg_whole"], now: 2_000)

        #expect(try spool.take(now: 2_001) == ["msg_whole"])
        #expect(FileManager.default.fileExists(atPath: temporary), "a fresh temporary file is left to its writer")
        #expect(FileManager.default.fileExists(atPath: unterminated), "an unfinished request waits for a later take")

        try Data("herald-replay 1\nmsg_cut\nend\n".utf8).write(to: URL(fileURLWithPath: unterminated))
        #expect(try spool.take(now: 2_002) == ["msg_cut"])
    }

    @Test("a temporary file abandoned for over an hour is cleaned up")
    func abandonedTemporary() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let spool = try ReplaySpool(directory: "\(dir.path)/replay")
        let temporary = "\(dir.path)/replay/.tmp-42-7-x.replay"
        try Data("herald-replay 1\n".utf8).write(to: URL(fileURLWithPath: temporary))
        #expect(try spool.take(now: ReplaySpool.unixMilliseconds() + 2 * 3_600_000).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: temporary))
    }

    @Test("ids that would break the line format are refused")
    func badIDs() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let spool = try ReplaySpool(directory: "\(dir.path)/replay")
        #expect(throws: JournalError.self) { try spool.submit(ids: ["msg_1\nend"]) }
        #expect(throws: JournalError.self) { try spool.submit(ids: [""]) }
    }
}
