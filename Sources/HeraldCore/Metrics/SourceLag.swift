import HeraldSource

/// How far the file sources are behind their files: each open file's size minus its committed
/// checkpoint offset (the position after the last journaled line), summed.
struct SourceLag: Sendable {
    let readers: [FileSetReader]

    /// Bytes not yet journaled; nil when no file is open.
    func bytes() -> Int64? {
        let lags = readers.compactMap { $0.lagBytes() }
        return lags.isEmpty ? nil : lags.reduce(0, +)
    }

    /// One file's lag; nil when the file is missing. After a rotation (the checkpoint names
    /// another file) it is the new file's size: the rest of the old file is not counted. Before
    /// any checkpoint, the whole file, or nothing when reading starts at its end.
    static func bytes(path: String, checkpoint: Checkpoint?, startAtEnd: Bool) -> Int64? {
        guard let (identity, size) = FileIdentity.current(at: path) else { return nil }
        guard let checkpoint else { return startAtEnd ? 0 : size }
        guard checkpoint.identity == identity else { return size }
        return max(0, size - checkpoint.offset)
    }
}
