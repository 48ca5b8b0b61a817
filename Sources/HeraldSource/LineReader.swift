import Glibc

/// Splits the bytes of one descriptor into lines, reading in large chunks.
///
/// Lines are slices of the chunk they were found in (no copy per line). An unterminated tail is
/// carried into the next chunk; once it exceeds `maxLineBytes` only its prefix is kept and the rest
/// is counted and skipped up to the newline. Confined to one thread.
struct LineReader {
    private struct Skip {
        /// Reported as an oversized line when the newline comes; `nil` to drop silently.
        var prefix: ArraySlice<UInt8>?
        var length: Int
        /// File offset of the skipped line's first byte.
        var start: Int64 = 0
    }

    let limits: LineLimits
    private var chunk: [UInt8] = []
    /// Start of the unconsumed part of `chunk`.
    private var scan = 0
    /// File offset of `chunk[0]`.
    private var chunkOffset: Int64 = 0
    private var skip: Skip?
    /// Offset of the next read: every byte before it has been read.
    private(set) var readOffset: Int64 = 0
    /// Offset just after the newline of the last line returned.
    private(set) var lineEndOffset: Int64 = 0
    /// Lines returned since offset 0, when known.
    private(set) var linesBefore: Int? = 0

    init(limits: LineLimits) {
        self.limits = limits
    }

    /// Starts over at `offset`. With `skipFirstLine`, bytes up to the first newline are dropped
    /// (the tail started in the middle of a line).
    mutating func reset(offset: Int64, linesBefore: Int?, skipFirstLine: Bool = false) {
        chunk = []
        scan = 0
        chunkOffset = offset
        readOffset = offset
        lineEndOffset = offset
        self.linesBefore = linesBefore
        skip = skipFirstLine ? Skip(prefix: nil, length: 0) : nil
    }

    enum Fill: Equatable {
        case bytes(Int)
        case endOfFile
        /// A non-blocking descriptor had nothing to read.
        case wouldBlock
    }

    /// Reads the next chunk, at `readOffset` with `pread` when `positional`, else with `read`;
    /// throws on a read error.
    mutating func fill(fd: Int32, positional: Bool) throws -> Fill {
        let carry = skip == nil ? chunk.count - scan : 0
        let chunkBytes = limits.readChunkBytes
        let offset = readOffset
        var n = 0
        var failure: Int32 = 0
        let newChunk = chunk.withUnsafeBufferPointer { old in
            [UInt8](unsafeUninitializedCapacity: carry + chunkBytes) { buffer, count in
                let base = buffer.baseAddress!
                if carry > 0 {
                    base.update(from: old.baseAddress! + scan, count: carry)
                }
                while true {
                    n =
                        positional
                        ? pread(fd, base + carry, chunkBytes, off_t(offset)) : read(fd, base + carry, chunkBytes)
                    if n < 0 && errno == EINTR { continue }
                    if n < 0 { failure = errno }
                    break
                }
                count = carry + max(n, 0)
            }
        }
        if n < 0 {
            if failure == EAGAIN || failure == EWOULDBLOCK { return .wouldBlock }
            throw SourceError(.read, "read failed: \(Posix.errorText(failure))", errno: failure)
        }
        if n == 0 { return .endOfFile }
        chunkOffset = readOffset - Int64(carry)
        readOffset += Int64(n)
        chunk = newChunk
        scan = 0
        return .bytes(n)
    }

    /// The next complete line in the buffered bytes, or `nil` when more must be read.
    mutating func nextLine() -> SourceLine? {
        while true {
            let start = scan
            let end = chunk.count
            guard start < end else { return nil }
            let found: Int? = chunk.withUnsafeBufferPointer { buffer in
                guard let hit = memchr(buffer.baseAddress! + start, 0x0A, end - start) else { return nil }
                return buffer.baseAddress!.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            }
            guard let newline = found else {
                if var skipping = skip {
                    skipping.length += end - start
                    skip = skipping
                    scan = end
                } else if end - start > limits.maxLineBytes {
                    skip = Skip(prefix: chunk[start..<(start + limits.maxLineBytes)], length: end - start, start: chunkOffset + Int64(start))
                    scan = end
                }
                return nil
            }
            scan = newline + 1
            lineEndOffset = chunkOffset + Int64(scan)
            if let skipping = skip {
                skip = nil
                guard let prefix = skipping.prefix else { continue }
                return countedLine(prefix, oversized: skipping.length + newline - start, from: skipping.start)
            }
            let length = newline - start
            let lineStart = chunkOffset + Int64(start)
            if length > limits.maxLineBytes {
                return countedLine(chunk[start..<(start + limits.maxLineBytes)], oversized: length, from: lineStart)
            }
            return countedLine(chunk[start..<newline], oversized: nil, from: lineStart)
        }
    }

    /// The unterminated last line, delivered when the input ends for good (end of a pipe, or a
    /// rotated file read to its end); `nil` when there is none.
    mutating func flushPartial() -> SourceLine? {
        defer {
            scan = chunk.count
            skip = nil
            lineEndOffset = readOffset
        }
        if let skipping = skip {
            guard let prefix = skipping.prefix else { return nil }
            return countedLine(prefix, oversized: skipping.length, from: skipping.start, to: readOffset)
        }
        guard scan < chunk.count else { return nil }
        let length = chunk.count - scan
        let lineStart = chunkOffset + Int64(scan)
        if length > limits.maxLineBytes {
            return countedLine(chunk[scan..<(scan + limits.maxLineBytes)], oversized: length, from: lineStart, to: readOffset)
        }
        return countedLine(chunk[scan...], oversized: nil, from: lineStart, to: readOffset)
    }

    /// A line from `start` up to `end` in the file (by default just after the newline just found).
    private mutating func countedLine(_ bytes: ArraySlice<UInt8>, oversized: Int?, from start: Int64, to end: Int64? = nil) -> SourceLine {
        linesBefore = linesBefore.map { $0 + 1 }
        return SourceLine(bytes: bytes, lineNumber: linesBefore, oversized: oversized, span: start..<(end ?? lineEndOffset))
    }
}
