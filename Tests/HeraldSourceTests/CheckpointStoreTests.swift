import Foundation
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
