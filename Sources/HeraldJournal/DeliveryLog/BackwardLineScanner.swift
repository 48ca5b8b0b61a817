import Glibc

/// Reads a file's complete lines backward — last line first — in large chunks, so that the
/// newest records of a long log are found without reading the rest.
enum BackwardLineScanner {
    /// Calls `body` with the offset and bytes (newline excluded) of each complete line that ends
    /// before `end`, last first, until it returns false. Bytes after the last newline before
    /// `end` (a line still being written) are skipped.
    static func scan(
        fd: Int32, path: String, end: Int64, chunkBytes: Int = 256 << 10,
        _ body: (Int64, UnsafeBufferPointer<UInt8>) -> Bool
    ) throws(JournalError) {
        var position = end
        // Bytes from `position` up to and including the newline of the last line not yet passed to `body`.
        var pending: [UInt8] = []
        var trimmed = false
        while position > 0 {
            let start = max(0, position - Int64(chunkBytes))
            var buffer = try FileIO.pread(fd, count: Int(position - start), offset: start, path: path)
            buffer.append(contentsOf: pending)
            position = start
            if !trimmed {
                guard let last = buffer.lastIndex(of: 0x0A) else {
                    pending = []
                    continue
                }
                buffer.removeSubrange((last + 1)...)
                trimmed = true
            }
            var keepGoing = true
            let leftover: Int = buffer.withUnsafeBufferPointer { bytes in
                var lineEnd = bytes.count - 1
                while lineEnd >= 0 {
                    var lineStart = lineEnd
                    while lineStart > 0, bytes[lineStart - 1] != 0x0A { lineStart -= 1 }
                    if lineStart == 0, start > 0 { return lineEnd + 1 }
                    if lineEnd > lineStart {
                        keepGoing = body(start + Int64(lineStart), UnsafeBufferPointer(rebasing: bytes[lineStart..<lineEnd]))
                        if !keepGoing { return 0 }
                    }
                    lineEnd = lineStart - 1
                }
                return 0
            }
            guard keepGoing else { return }
            pending = Array(buffer[..<leftover])
        }
    }

    /// The first line of the file (at most `limit` bytes of it), or nil when it has none.
    static func firstLine(fd: Int32, path: String, size: Int64, limit: Int = 256) throws(JournalError) -> [UInt8]? {
        let bytes = try FileIO.pread(fd, count: Int(min(size, Int64(limit))), offset: 0, path: path)
        return bytes.firstIndex(of: 0x0A).map { Array(bytes[..<$0]) } ?? (bytes.count == limit ? bytes : nil)
    }

    /// The first bytes of the line that starts at `offset`.
    static func lineStart(fd: Int32, path: String, offset: Int64, size: Int64, limit: Int = 256) throws(JournalError) -> [UInt8] {
        guard offset >= 0, offset < size else { return [] }
        return try FileIO.pread(fd, count: Int(min(size - offset, Int64(limit))), offset: offset, path: path)
    }
}
