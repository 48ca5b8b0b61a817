/// One line read from a source, without its newline.
///
/// `bytes` is a slice of the chunk the line was read in, so a line costs no copy; holding a line keeps
/// its chunk (at most a few hundred KiB) alive. Bytes are passed through untouched: decoding is the
/// consumer's job.
public struct SourceLine: Sendable, Equatable {
    /// The line's bytes without the newline, or only its first `maxLineBytes` bytes when `oversized` is set.
    public var bytes: ArraySlice<UInt8>
    /// 1-based line number within the file, when known (not when the tail started at the end of a file).
    public var lineNumber: Int?
    /// Set when the line was longer than `maxLineBytes`: its full length in bytes, newline excluded.
    public var oversized: Int?
    /// Where the line lies in its file: its first byte, up to just after its newline (file sources
    /// only), so that it can be read again later.
    public var span: Range<Int64>?

    public init(bytes: ArraySlice<UInt8>, lineNumber: Int? = nil, oversized: Int? = nil, span: Range<Int64>? = nil) {
        self.bytes = bytes
        self.lineNumber = lineNumber
        self.oversized = oversized
        self.span = span
    }
}

/// Complete lines handed to the consumer in one go, with the position to commit once they are durable.
public struct LineBatch: Sendable, Equatable {
    public var lines: [SourceLine]
    /// The position just after the batch's last line; `nil` for sources that cannot resume (stdin, pipes).
    public var checkpoint: Checkpoint?

    public init(lines: [SourceLine], checkpoint: Checkpoint?) {
        self.lines = lines
        self.checkpoint = checkpoint
    }
}
