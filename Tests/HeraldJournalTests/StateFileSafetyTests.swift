import Foundation
import Glibc
import Testing

@testable import HeraldJournal

/// State files are private whatever the umask, and none is opened through a symbolic link.
@Suite("State file modes and links")
struct StateFileSafetyTests {
    func mode(_ path: String) -> mode_t {
        var info = stat()
        #expect(lstat(path, &info) == 0, "\(path) exists")
        return info.st_mode & 0o7777
    }

    @Test("journal, lock, dead letters, spool and delivery log are created 0600 in 0700 directories")
    func createdPrivate() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, _) = try Journal.open(directory: "\(dir.path)/journal")
        try await journal.append([.enqueue(delivery("msg_1"))])
        let letters = try DeadLetterStore(directory: "\(dir.path)/dead")
        _ = await journal.bury([BuryRequest(id: "msg_1", reason: "HTTP 400")], into: letters, at: 1)
        await journal.close()
        let spool = try ReplaySpool(directory: "\(dir.path)/replay")
        let request = try spool.submit(ids: ["msg_1"])
        let log = try DeliveryLog(directory: "\(dir.path)/log")
        log.close()

        for directory in ["journal", "dead", "replay", "log"] {
            #expect(mode("\(dir.path)/\(directory)") == 0o700, "\(directory)/")
        }
        for file in ["journal/journal.lock", "journal/segment-00000001.log", "dead/msg_1.dead", "replay/\(request)",
                     "log/deliveries.jsonl"] {
            #expect(mode("\(dir.path)/\(file)") == 0o600, "\(file)")
        }
    }

    @Test("files and directories an older Herald left 0644/0755 are tightened when opened for writing")
    func existingTightened() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let (journal, _) = try Journal.open(directory: "\(dir.path)/journal")
        await journal.close()
        let log = try DeliveryLog(directory: "\(dir.path)/log")
        log.close()
        for (path, loose) in [("journal", 0o755), ("journal/journal.lock", 0o644), ("journal/segment-00000001.log", 0o644),
                              ("log", 0o755), ("log/deliveries.jsonl", 0o644)] {
            #expect(chmod("\(dir.path)/\(path)", mode_t(loose)) == 0)
        }
        let (reopened, _) = try Journal.open(directory: "\(dir.path)/journal")
        await reopened.close()
        let relog = try DeliveryLog(directory: "\(dir.path)/log")
        relog.close()
        #expect(mode("\(dir.path)/journal") == 0o700)
        #expect(mode("\(dir.path)/journal/journal.lock") == 0o600)
        #expect(mode("\(dir.path)/journal/segment-00000001.log") == 0o600)
        #expect(mode("\(dir.path)/log") == 0o700)
        #expect(mode("\(dir.path)/log/deliveries.jsonl") == 0o600)
    }

    @Test("state_dir and its missing parents are created 0700; an existing one keeps its mode")
    func stateDirectory() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        try StateDirectory.create("\(dir.path)/a/b/state")
        for path in ["a", "a/b", "a/b/state"] { #expect(mode("\(dir.path)/\(path)") == 0o700, "\(path)") }
        #expect(chmod(dir.path, 0o750) == 0)
        try StateDirectory.create(dir.path)
        #expect(mode(dir.path) == 0o750)
        try "".write(toFile: "\(dir.path)/file", atomically: false, encoding: .utf8)
        let error = #expect(throws: JournalError.self) { try StateDirectory.create("\(dir.path)/file") }
        #expect(error?.message == "state_dir \(dir.path)/file exists and is not a directory")
    }

    /// A file outside the state, which a link planted in the state points at.
    struct Target {
        let path: String
        static let content = "not Herald's to touch\n"

        init(in dir: TemporaryDirectory) throws {
            path = "\(dir.path)/target.txt"
            try Self.content.write(toFile: path, atomically: false, encoding: .utf8)
        }

        var untouched: Bool { (try? String(contentsOfFile: path, encoding: .utf8)) == Self.content }
    }

    @Test("a symbolic link at a journal file is refused at open with an error naming it, the target untouched",
          arguments: ["journal.lock", "segment-00000001.log", "segment-00000002.log"])
    func journalLinkRefused(name: String) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let target = try Target(in: dir)
        let (journal, _) = try Journal.open(directory: "\(dir.path)/journal")
        try await journal.append([.enqueue(delivery("msg_1"))])
        await journal.close()
        let link = "\(dir.path)/journal/\(name)"
        unlink(link)
        #expect(symlink(target.path, link) == 0)
        let error = #expect(throws: JournalError.self) { try Journal.open(directory: "\(dir.path)/journal") }
        #expect(error?.message.contains(link) == true)
        #expect(error?.message.contains("symbolic link") == true)
        #expect(error?.errno == ELOOP)
        #expect(target.untouched)
    }

    @Test("a symbolic link at deliveries.jsonl is refused with an error naming it, the target untouched")
    func deliveryLogLinkRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let target = try Target(in: dir)
        #expect(mkdir("\(dir.path)/log", 0o700) == 0)
        #expect(symlink(target.path, "\(dir.path)/log/deliveries.jsonl") == 0)
        let error = #expect(throws: JournalError.self) { try DeliveryLog(directory: "\(dir.path)/log") }
        #expect(error?.message.contains("\(dir.path)/log/deliveries.jsonl") == true)
        #expect(error?.message.contains("symbolic link") == true)
        #expect(target.untouched)
    }

    @Test("a symbolic link among the rotated delivery log files is refused by the reader, naming it, not read out")
    func deliveryLogReaderLink() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let target = try Target(in: dir)
        let log = try DeliveryLog(directory: "\(dir.path)/log")
        log.close()
        #expect(symlink(target.path, "\(dir.path)/log/deliveries.1.jsonl") == 0)
        let error = #expect(throws: JournalError.self) { try DeliveryLogReader(directory: "\(dir.path)/log").query(DeliveryLogQuery()) }
        #expect(error?.message.contains("\(dir.path)/log/deliveries.1.jsonl") == true)
        #expect(error?.message.contains("symbolic link") == true)
    }

    @Test("a symbolic link at a state directory is refused", arguments: ["dead", "replay"])
    func directoryLinkRefused(name: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        #expect(mkdir("\(dir.path)/elsewhere", 0o755) == 0)
        #expect(symlink("\(dir.path)/elsewhere", "\(dir.path)/\(name)") == 0)
        let error = #expect(throws: JournalError.self) {
            if name == "dead" { _ = try DeadLetterStore(directory: "\(dir.path)/\(name)") } else { _ = try ReplaySpool(directory: "\(dir.path)/\(name)") }
        }
        #expect(error?.message.contains("symbolic link") == true)
        #expect(mode("\(dir.path)/elsewhere") == 0o755)
    }

    @Test("a link at a letter's name is replaced by the letter, never written through; a linked letter is not read")
    func letterLink() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let target = try Target(in: dir)
        let store = try DeadLetterStore(directory: "\(dir.path)/dead")
        #expect(symlink(target.path, "\(dir.path)/dead/msg_1.dead") == 0)
        try store.add(delivery("msg_1"), reason: "HTTP 400", at: 1)
        #expect(target.untouched)
        #expect(!FileIO.isSymbolicLink("\(dir.path)/dead/msg_1.dead"))
        #expect(try store.get(id: "msg_1")?.reason == "HTTP 400")

        #expect(symlink(target.path, "\(dir.path)/dead/msg_2.dead") == 0)
        let error = #expect(throws: JournalError.self) { try store.get(id: "msg_2") }
        #expect(error?.message.contains("\(dir.path)/dead/msg_2.dead") == true)
        #expect(try store.scan().unreadable == ["msg_2.dead"])
        #expect(target.untouched)
    }

    @Test("a replay request that is a link is refused and deleted, naming it; the other requests are taken")
    func spoolLink() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let target = try Target(in: dir)
        let spool = try ReplaySpool(directory: "\(dir.path)/replay")
        try spool.submit(ids: ["msg_1"], now: 2)
        #expect(symlink(target.path, "\(dir.path)/replay/000000000000001-1-1.replay") == 0)
        var refusals: [JournalError] = []
        #expect(try spool.take(refused: { refusals.append($0) }) == ["msg_1"])
        #expect(refusals.count == 1)
        #expect(refusals.first?.message.contains("000000000000001-1-1.replay") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.directory).isEmpty)
        #expect(target.untouched)
    }
}
