import Glibc
import HeraldSource

/// How far the file source is behind its file: the file's size minus the committed checkpoint
/// offset, read from the checkpoint file (the position after the last journaled line).
struct SourceLag: Sendable {
    let path: String
    let checkpoints: CheckpointStore
    let startAtEnd: Bool

    /// Bytes not yet journaled; nil when the file is missing. After a rotation (the checkpoint names
    /// another file) it is the new file's size: the rest of the old file is not counted.
    func bytes() -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let size = Int64(info.st_size)
        guard let checkpoint = try? checkpoints.load() else { return startAtEnd ? 0 : size }
        guard checkpoint.identity == FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)) else { return size }
        return max(0, size - checkpoint.offset)
    }
}
