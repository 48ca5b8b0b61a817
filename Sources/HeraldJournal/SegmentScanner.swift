import Glibc

/// Reads one segment's records in order through a bounded buffer: recovering a 64 MiB segment
/// holds about one chunk (or the largest record, if larger) in memory, not the whole file.
struct SegmentScanner {
    let path: String
    /// The file's size when it was opened.
    let size: Int64
    private let fd: Int32
    private var buffer: [UInt8] = []
    /// File offset of `buffer[0]`.
    private var bufferStart: Int64 = 0
    /// How much is read at a time.
    static let chunk = 1 << 20

    init(path: String) throws(JournalError) {
        self.path = path
        fd = try FileIO.open(path, O_RDONLY)
        do throws(JournalError) {
            size = try FileIO.size(fd, path: path)
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    func close() {
        Glibc.close(fd)
    }

    /// Up to `count` bytes at `offset` (fewer at the end of the file).
    mutating func bytes(at offset: Int64, count: Int) throws(JournalError) -> [UInt8] {
        try load(offset, count)
        let start = Int(offset - bufferStart)
        return Array(buffer[start..<min(buffer.count, start + count)])
    }

    /// The record framed at `offset`, judged as ``RecordCodec/readFrame(_:at:)`` judges it against
    /// the whole file: `.end` at the file's end, `.torn` for a frame the file ends inside.
    mutating func frame<Record>(
        at offset: Int64, decode: (inout ByteReader) throws(JournalError) -> Record
    ) throws(JournalError) -> RecordCodec.FrameResult<Record> {
        try load(offset, RecordCodec.frameHeaderSize)
        let start = Int(offset - bufferStart)
        if buffer.count - start >= RecordCodec.frameHeaderSize {
            let length = Int(buffer[start]) | Int(buffer[start + 1]) << 8 | Int(buffer[start + 2]) << 16 | Int(buffer[start + 3]) << 24
            if length > 0, length <= RecordCodec.maxBodySize { try load(offset, RecordCodec.frameHeaderSize + length) }
        }
        return RecordCodec.readFrame(buffer, at: Int(offset - bufferStart), decode: decode)
    }

    /// The offset of the first valid frame at or after `start` — plausible length (at most
    /// `maxBodyLength`), a known record kind, its checksum, a body that decodes — or nil if none
    /// starts before the end of the file. How recovery steps over a damaged record to the intact
    /// ones after it; a random frame passes all four tests with odds far below 2^-32.
    mutating func nextValidFrame<Record>(
        from start: Int64, maxBodyLength: Int, decode: (inout ByteReader) throws(JournalError) -> Record
    ) throws(JournalError) -> Int64? {
        var offset = start
        while offset + Int64(RecordCodec.frameHeaderSize) < size {
            try load(offset, RecordCodec.frameHeaderSize + 1)
            let at = Int(offset - bufferStart)
            let length = Int(buffer[at]) | Int(buffer[at + 1]) << 8 | Int(buffer[at + 2]) << 16 | Int(buffer[at + 3]) << 24
            if length > 0, length <= maxBodyLength, Int64(length) <= size - offset - Int64(RecordCodec.frameHeaderSize),
                RecordCodec.Kind(rawValue: buffer[at + RecordCodec.frameHeaderSize]) != nil,
                case .record = try frame(at: offset, decode: decode)
            {
                return offset
            }
            offset += 1
        }
        return nil
    }

    /// Makes the buffer hold `count` bytes from `offset`, or everything from `offset` to the end.
    private mutating func load(_ offset: Int64, _ count: Int) throws(JournalError) {
        let wanted = min(Int64(count), max(0, size - offset))
        if offset >= bufferStart, offset + wanted <= bufferStart + Int64(buffer.count) { return }
        if offset >= bufferStart, offset <= bufferStart + Int64(buffer.count) {
            buffer.removeFirst(Int(offset - bufferStart))
        } else {
            buffer = []
        }
        bufferStart = offset
        let end = bufferStart + Int64(buffer.count)
        let more = min(max(Int64(Self.chunk), wanted - Int64(buffer.count)), size - end)
        if more > 0 { buffer.append(contentsOf: try FileIO.pread(fd, count: Int(more), offset: end, path: path)) }
    }
}
