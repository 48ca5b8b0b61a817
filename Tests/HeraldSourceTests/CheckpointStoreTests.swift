import Foundation
import Glibc
import HeraldSource
import Testing

@Suite("CheckpointStore")
struct CheckpointStoreTests {
    private let sample = Checkpoint(
        path: "/var/log/app.log",
        device: 2049,
        inode: 123_456,
        offset: 98_765,
        fingerprint: "7b2261223a317d0a",
        lineNumber: 321
    )

    @Test("nothing saved yet loads as nil")
    func absent() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        #expect(try CheckpointStore(path: directory.file("checkpoint.json")).load() == nil)
    }

    @Test("a saved checkpoint loads back equal, and a later save replaces it")
    func roundTrip() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = CheckpointStore(path: directory.file("checkpoint.json"))
        try store.save(sample)
        #expect(try store.load() == sample)
        var later = sample
        later.offset = 100_000
        later.lineNumber = nil
        try store.save(later)
        #expect(try CheckpointStore(path: store.path).load() == later)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["checkpoint.json"])
    }

    @Test("a temporary file left by a crash is ignored and overwritten")
    func leftoverTemporary() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = CheckpointStore(path: directory.file("checkpoint.json"))
        try store.save(sample)
        try Data("{\"torn".utf8).write(to: URL(fileURLWithPath: store.path + ".tmp"))
        #expect(try store.load() == sample)
        var later = sample
        later.offset = 5
        try store.save(later)
        #expect(try store.load() == later)
        #expect(!FileManager.default.fileExists(atPath: store.path + ".tmp"))
    }

    @Test("a corrupt checkpoint file is an error, not a silent restart")
    func corrupt() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = CheckpointStore(path: directory.file("checkpoint.json"))
        try Data("not json".utf8).write(to: URL(fileURLWithPath: store.path))
        #expect(throws: SourceError.self) { try store.load() }
    }

    @Test("saving into a missing directory fails with a message")
    func missingDirectory() {
        let store = CheckpointStore(path: "/nonexistent-herald-dir/checkpoint.json")
        #expect(throws: SourceError.self) { try store.save(sample) }
    }
}

/// The checkpoint is private and never written or read through a planted link.
@Suite("CheckpointStore file safety")
struct CheckpointStoreSafetyTests {
    private let sample = Checkpoint(path: "/var/log/app.log", device: 1, inode: 2, offset: 3, fingerprint: "00", lineNumber: 4)
    static let content = "not Herald's to touch\n"

    func target(_ directory: TemporaryDirectory) throws -> String {
        let path = directory.file("target.txt")
        try Self.content.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    func untouched(_ path: String) -> Bool { (try? String(contentsOfFile: path, encoding: .utf8)) == Self.content }

    @Test("a saved checkpoint is 0600, and the temporary file leaves nothing behind")
    func mode() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = CheckpointStore(path: directory.file("checkpoint.json"))
        try store.save(sample)
        var info = stat()
        #expect(stat(store.path, &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["checkpoint.json"])
    }

    @Test("a link at checkpoint.json.tmp is refused at start-up naming it, and a save never writes through it")
    func temporaryLink() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let target = try target(directory)
        let store = CheckpointStore(path: directory.file("checkpoint.json"))
        #expect(symlink(target, store.path + ".tmp") == 0)
        let error = #expect(throws: SourceError.self) { try store.removeLeftovers() }
        #expect(error?.message.contains(store.path + ".tmp") == true)
        #expect(error?.message.contains("symbolic link") == true)
        try store.save(sample)
        #expect(untouched(target))
        #expect(try store.load() == sample)
    }

    @Test("a link at checkpoint.json is refused when loading, naming it; a save replaces the link, not its target")
    func checkpointLink() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let target = try target(directory)
        let store = CheckpointStore(path: directory.file("checkpoint.json"))
        #expect(symlink(target, store.path) == 0)
        let error = #expect(throws: SourceError.self) { try store.load() }
        #expect(error?.code == .checkpointLoad)
        #expect(error?.message.contains(store.path) == true)
        #expect(error?.message.contains("symbolic link") == true)
        try store.save(sample)
        #expect(untouched(target))
        #expect(try store.load() == sample)
    }

    @Test("temporary files a crash left, under the old and the new names, are removed at start-up")
    func leftovers() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = CheckpointStore(path: directory.file("checkpoint.json"))
        try store.save(sample)
        try "torn".write(toFile: store.path + ".tmp", atomically: false, encoding: .utf8)
        try "torn".write(toFile: directory.file(".checkpoint.json.tmp-1-2"), atomically: false, encoding: .utf8)
        try "keep".write(toFile: directory.file("other.json"), atomically: false, encoding: .utf8)
        try store.removeLeftovers()
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["checkpoint.json", "other.json"])
        #expect(try store.load() == sample)
    }
}
