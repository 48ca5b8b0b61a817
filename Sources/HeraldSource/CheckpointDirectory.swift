import Foundation
import Glibc

/// The checkpoints of a glob's files: one ``CheckpointStore`` file per path in one directory
/// (`checkpoints/<source>/`), named by a digest of the path (the path itself is inside), so that
/// each file commits its own position with the same atomic, private save as a single file's.
public struct CheckpointDirectory: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// Creates the directory (0700) if needed.
    public func create() throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw SourceError(.checkpointSave, "cannot create checkpoint directory \(directory): \(error)")
        }
    }

    /// The store for one path's checkpoint.
    public func store(for path: String) -> CheckpointStore {
        CheckpointStore(path: "\(directory)/\(Self.name(for: path))")
    }

    /// Every saved checkpoint, after removing temporary files a crash left. One that cannot be
    /// read (not valid, or a link) throws, as a single file's does: reading its file from a guess
    /// could send it all again.
    public func all() throws -> [Checkpoint] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var found: [Checkpoint] = []
        for name in names.sorted() where name.hasSuffix(".json") && !name.hasPrefix(".") {
            let store = CheckpointStore(path: "\(directory)/\(name)")
            try store.removeLeftovers()
            if let checkpoint = try store.load(), name == Self.name(for: checkpoint.path) { found.append(checkpoint) }
        }
        return found
    }

    /// Removes a path's checkpoint (a released file); a missing one is no error.
    public func remove(_ path: String) {
        unlink(store(for: path).path)
    }

    /// The checkpoint file's name for a path: two FNV-1a digests of it with different seeds
    /// (128 bits, hex) and `.json`.
    public static func name(for path: String) -> String {
        func digest(_ seed: UInt64) -> String {
            var hash = seed
            for byte in path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
            let hex = String(hash, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }
        return digest(0xcbf2_9ce4_8422_2325) + digest(0x6c62_272e_07bb_0142) + ".json"
    }
}
