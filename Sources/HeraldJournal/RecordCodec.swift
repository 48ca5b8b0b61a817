/// The on-disk encoding of journal records.
///
/// A segment starts with a 16-byte header: magic `HRLDJRNL`, a version byte, three zero
/// bytes and the segment number (UInt32, little-endian). Records follow, each framed as
///
///     length: UInt32 LE   (of the body)
///     crc:    UInt32 LE   CRC-32C of the four length bytes and the body
///     body:   kind byte, then the fields as LEB128 varints (zig-zag for Int64) and
///             length-prefixed byte strings
///
/// so a reader can tell a torn tail (length runs past the end) from a corrupt record (CRC).
enum RecordCodec {
    static let magic: [UInt8] = Array("HRLDJRNL".utf8)
    /// Written in new segments. Version 2 added the tagged trailer of enqueue records (the
    /// source position); version 1 segments are still read, and never appended to.
    static let version: UInt8 = 2
    static let readableVersions: ClosedRange<UInt8> = 1...2
    static let segmentHeaderSize = 16
    static let frameHeaderSize = 8
    /// Bodies above this are refused on write and taken for corruption on read.
    static let maxBodySize = 1 << 30

    enum Kind: UInt8 {
        case enqueue = 1
        case attempt = 2
        case ack = 3
        case dead = 4
    }

    static func segmentHeader(number: UInt32) -> [UInt8] {
        var writer = ByteWriter()
        writer.bytes.append(contentsOf: magic)
        writer.bytes.append(contentsOf: [version, 0, 0, 0])
        writer.fixed32(number)
        return writer.bytes
    }

    /// The segment number and format version, or a reason the header is not one of ours.
    static func parseSegmentHeader(_ bytes: [UInt8]) -> Result<(number: UInt32, version: UInt8), HeaderProblem> {
        guard bytes.count >= segmentHeaderSize else { return .failure(.torn) }
        guard Array(bytes[0..<8]) == magic else { return .failure(.badMagic) }
        guard readableVersions.contains(bytes[8]) else { return .failure(.unsupportedVersion(bytes[8])) }
        var reader = ByteReader(bytes, from: 12, to: 16)
        return .success(((try? reader.fixed32()) ?? 0, bytes[8]))
    }

    enum HeaderProblem: Error {
        case torn
        case badMagic
        case unsupportedVersion(UInt8)

        var reason: String {
            switch self {
            case .torn: "segment header is incomplete"
            case .badMagic: "segment header has the wrong magic"
            case .unsupportedVersion(let v): "segment format version \(v) is not supported"
            }
        }
    }

    /// Appends the framed encoding of `record` to `writer`.
    static func appendFrame(_ record: JournalRecord, to writer: inout ByteWriter) throws(JournalError) {
        let start = writer.bytes.count
        writer.fixed32(0)
        writer.fixed32(0)
        encodeBody(record, to: &writer)
        let bodyLength = writer.bytes.count - start - frameHeaderSize
        guard bodyLength <= maxBodySize else {
            writer.bytes.removeSubrange(start...)
            throw JournalError(
                .invalidArgument, "record for \(record.deliveryID) is \(bodyLength) bytes, above the limit")
        }
        writer.setFixed32(UInt32(bodyLength), at: start)
        let crc = writer.bytes.withUnsafeBytes { buffer in
            let length = UnsafeRawBufferPointer(rebasing: buffer[start..<start + 4])
            let body = UnsafeRawBufferPointer(rebasing: buffer[(start + frameHeaderSize)...])
            return CRC32C.update(CRC32C.update(0, length), body)
        }
        writer.setFixed32(crc, at: start + 4)
    }

    static func frame(_ record: JournalRecord) throws(JournalError) -> [UInt8] {
        var writer = ByteWriter()
        try appendFrame(record, to: &writer)
        return writer.bytes
    }

    private static func encodeBody(_ record: JournalRecord, to w: inout ByteWriter) {
        switch record {
        case .enqueue(let d):
            w.byte(Kind.enqueue.rawValue)
            w.string(d.id)
            w.string(d.endpoint)
            w.string(d.route)
            w.string(d.eventID)
            w.string(d.eventType)
            w.signed(d.enqueuedAt)
            w.signed(Int64(d.attempts))
            w.signed(d.notBefore)
            if let error = d.lastError {
                w.byte(1)
                w.string(error)
            } else {
                w.byte(0)
            }
            w.blob(d.payload)
            // Optional trailer of tagged fields, each absent when unset: 1 the ordering key (also in
            // version 1), 2 the source position (version 2).
            if let key = d.orderingKey {
                w.byte(TrailerTag.orderingKey)
                w.string(key)
            }
            if let source = d.source {
                w.byte(TrailerTag.source)
                w.unsigned(source.device)
                w.unsigned(source.inode)
                w.unsigned(source.fingerprintHash)
                w.unsigned(UInt64(source.fingerprintLength))
                w.signed(source.offset)
                w.signed(source.length)
            }
        case .attempt(let id, let attempts, let notBefore, let error):
            w.byte(Kind.attempt.rawValue)
            w.string(id)
            w.signed(Int64(attempts))
            w.signed(notBefore)
            w.string(error)
        case .ack(let id):
            w.byte(Kind.ack.rawValue)
            w.string(id)
        case .dead(let id, let reason):
            w.byte(Kind.dead.rawValue)
            w.string(id)
            w.string(reason)
        }
    }

    enum TrailerTag {
        /// Version 1 wrote it for "no key"; read and ignored.
        static let none: UInt8 = 0
        static let orderingKey: UInt8 = 1
        static let source: UInt8 = 2
    }

    /// Reads the enqueue trailer's tagged fields to the end of the body: `key` reads the ordering
    /// key's string, `source` gets the position.
    static func readTrailer(
        _ r: inout ByteReader, key: (inout ByteReader) throws(JournalError) -> Void, source: (SourcePosition) -> Void
    ) throws(JournalError) {
        while !r.isAtEnd {
            switch try r.byte() {
            case TrailerTag.none:
                continue
            case TrailerTag.orderingKey:
                try key(&r)
            case TrailerTag.source:
                let device = try r.unsigned(), inode = try r.unsigned(), hash = try r.unsigned()
                let fingerprintLength = try r.unsigned()
                let offset = try r.signed(), length = try r.signed()
                guard fingerprintLength <= 4096, offset >= 0, length > 0 else {
                    throw JournalError(.corrupt, "impossible source position")
                }
                source(SourcePosition(device: device, inode: inode, fingerprintHash: hash, fingerprintLength: Int(fingerprintLength),
                                      offset: offset, length: length))
            case let tag:
                throw JournalError(.corrupt, "unknown enqueue field \(tag)")
            }
        }
    }

    /// Outcome of reading one framed record at a position.
    enum FrameResult<Record> {
        case record(Record, length: Int)
        case end
        case torn(String)
        case corrupt(String)
    }

    /// Reads the frame starting at `offset` in `bytes` (which ends at `bytes.count`).
    static func readFrame(_ bytes: [UInt8], at offset: Int) -> FrameResult<JournalRecord> {
        readFrame(bytes, at: offset, decode: decodeBody)
    }

    /// Reads the frame at `offset`, checks its length and checksum, and hands the body to
    /// `decode`, which must consume all of it.
    static func readFrame<Record>(
        _ bytes: [UInt8], at offset: Int, decode: (inout ByteReader) throws(JournalError) -> Record
    ) -> FrameResult<Record> {
        let remaining = bytes.count - offset
        if remaining == 0 { return .end }
        if remaining < frameHeaderSize { return .torn("record header cut after \(remaining) of 8 bytes") }
        var header = ByteReader(bytes, from: offset, to: offset + frameHeaderSize)
        let bodyLength = Int((try? header.fixed32()) ?? 0)
        let storedCRC = (try? header.fixed32()) ?? 0
        if bodyLength == 0 || bodyLength > maxBodySize {
            return .corrupt("record length \(bodyLength) is impossible")
        }
        if bodyLength > remaining - frameHeaderSize {
            return .torn("record of \(bodyLength) bytes cut after \(remaining - frameHeaderSize)")
        }
        let crc = bytes.withUnsafeBytes { buffer in
            let length = UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + 4])
            let bodyStart = offset + frameHeaderSize
            let body = UnsafeRawBufferPointer(rebasing: buffer[bodyStart..<bodyStart + bodyLength])
            return CRC32C.update(CRC32C.update(0, length), body)
        }
        if crc != storedCRC { return .corrupt("checksum mismatch") }
        var reader = ByteReader(bytes, from: offset + frameHeaderSize, to: offset + frameHeaderSize + bodyLength)
        do {
            let record = try decode(&reader)
            guard reader.isAtEnd else { return .corrupt("record has trailing bytes") }
            return .record(record, length: frameHeaderSize + bodyLength)
        } catch {
            return .corrupt(error.message)
        }
    }

    static func decodeBody(_ r: inout ByteReader) throws(JournalError) -> JournalRecord {
        let kindByte = try r.byte()
        guard let kind = Kind(rawValue: kindByte) else {
            throw JournalError(.corrupt, "unknown record kind \(kindByte)")
        }
        switch kind {
        case .enqueue:
            let id = try r.string()
            let endpoint = try r.string()
            let route = try r.string()
            let eventID = try r.string()
            let eventType = try r.string()
            let enqueuedAt = try r.signed()
            let attempts = try r.signed()
            let notBefore = try r.signed()
            let lastError: String? = try r.byte() == 0 ? nil : r.string()
            let payload = try r.blob()
            var orderingKey: String?
            var source: SourcePosition?
            try readTrailer(&r, key: { (reader: inout ByteReader) throws(JournalError) in orderingKey = try reader.string() }, source: { source = $0 })
            return .enqueue(
                PendingDelivery(
                    id: id, endpoint: endpoint, route: route, eventID: eventID, eventType: eventType,
                    enqueuedAt: enqueuedAt, attempts: Int(attempts), notBefore: notBefore,
                    lastError: lastError, payload: payload, orderingKey: orderingKey, source: source))
        case .attempt:
            let id = try r.string()
            let attempts = try r.signed()
            let notBefore = try r.signed()
            let error = try r.string()
            return .attempt(id: id, attempts: Int(attempts), notBefore: notBefore, error: error)
        case .ack:
            return .ack(id: try r.string())
        case .dead:
            let id = try r.string()
            return .dead(id: id, reason: try r.string())
        }
    }
}

struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func fixed32(_ value: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
    }

    mutating func setFixed32(_ value: UInt32, at index: Int) {
        bytes[index] = UInt8(truncatingIfNeeded: value)
        bytes[index + 1] = UInt8(truncatingIfNeeded: value >> 8)
        bytes[index + 2] = UInt8(truncatingIfNeeded: value >> 16)
        bytes[index + 3] = UInt8(truncatingIfNeeded: value >> 24)
    }

    mutating func unsigned(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func signed(_ value: Int64) {
        unsigned(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func blob(_ value: [UInt8]) {
        unsigned(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            unsigned(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }
}

struct ByteReader {
    private let bytes: [UInt8]
    private var position: Int
    private let end: Int

    init(_ bytes: [UInt8], from start: Int, to end: Int) {
        self.bytes = bytes
        self.position = start
        self.end = end
    }

    var isAtEnd: Bool { position == end }

    private static let short = JournalError(.corrupt, "record body ends early")

    mutating func byte() throws(JournalError) -> UInt8 {
        guard position < end else { throw Self.short }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func fixed32() throws(JournalError) -> UInt32 {
        guard end - position >= 4 else { throw Self.short }
        defer { position += 4 }
        return UInt32(bytes[position]) | UInt32(bytes[position + 1]) << 8
            | UInt32(bytes[position + 2]) << 16 | UInt32(bytes[position + 3]) << 24
    }

    mutating func unsigned() throws(JournalError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw JournalError(.corrupt, "varint too long") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func signed() throws(JournalError) -> Int64 {
        let raw = try unsigned()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    mutating func blob() throws(JournalError) -> [UInt8] {
        let count = try unsigned()
        guard count <= UInt64(end - position) else { throw Self.short }
        defer { position += Int(count) }
        return Array(bytes[position..<position + Int(count)])
    }

    /// Steps over a length-prefixed byte string.
    mutating func skipBlob() throws(JournalError) {
        let count = try unsigned()
        guard count <= UInt64(end - position) else { throw Self.short }
        position += Int(count)
    }

    /// Reads a length-prefixed byte string and hands its bytes to `body` without copying them.
    mutating func withBlob<T>(_ body: (ArraySlice<UInt8>) -> T) throws(JournalError) -> T {
        let count = try unsigned()
        guard count <= UInt64(end - position) else { throw Self.short }
        defer { position += Int(count) }
        return body(bytes[position..<position + Int(count)])
    }

    mutating func string() throws(JournalError) -> String {
        let count = try unsigned()
        guard count <= UInt64(end - position) else { throw Self.short }
        defer { position += Int(count) }
        return String(decoding: bytes[position..<position + Int(count)], as: UTF8.self)
    }
}
