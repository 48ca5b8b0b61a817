/// Bounds on reading: chunk size, line length, batch size.
public struct LineLimits: Sendable, Equatable {
    /// A longer line is reported with ``SourceLine/oversized`` and only this many bytes; the rest is
    /// skipped to its newline without being buffered. Default 1 MiB.
    public var maxLineBytes: Int = 1 << 20
    /// A batch ends after this many lines. Default 4096.
    public var maxBatchLines: Int = 4096
    /// A batch ends once its lines hold at least this many bytes. Default 1 MiB.
    public var maxBatchBytes: Int = 1 << 20
    /// Bytes asked of each `read`. Default 256 KiB.
    public var readChunkBytes: Int = 256 << 10

    public init(
        maxLineBytes: Int = 1 << 20,
        maxBatchLines: Int = 4096,
        maxBatchBytes: Int = 1 << 20,
        readChunkBytes: Int = 256 << 10
    ) {
        precondition(maxLineBytes > 0 && maxBatchLines > 0 && maxBatchBytes > 0 && readChunkBytes > 0)
        self.maxLineBytes = maxLineBytes
        self.maxBatchLines = maxBatchLines
        self.maxBatchBytes = maxBatchBytes
        self.readChunkBytes = readChunkBytes
    }
}
