import Foundation
import Testing

@testable import HeraldJournal

/// The chunk boundary of `SegmentScanner` at every byte of a few frames: what the FuzzJournal
/// target cannot reach (a megabyte to checksum per run), done exhaustively here. The scanner must
/// say of every frame exactly what `RecordCodec.readFrame` says reading the whole file.
@Suite("SegmentScanner at its chunk boundary")
struct SegmentScannerBoundaryTests {
    /// A valid ack `chunk - 400` bytes long (8 header bytes, the kind, a 3-byte varint, the id):
    /// read from just after the segment header, the first chunk ends 400 bytes past it.
    static let filler: [UInt8] = {
        let length = SegmentScanner.chunk - 400
        return try! RecordCodec.frame(.ack(id: String(repeating: "f", count: length - 12)))
    }()

    static func tail() throws -> [UInt8] {
        var keyed = delivery("msg_k", payloadSize: 90)
        keyed.orderingKey = "customer-7"
        keyed.lastError = "HTTP 503"
        var bytes = try RecordCodec.frame(.enqueue(keyed))
        bytes += try RecordCodec.frame(.attempt(id: "msg_k", attempts: 2, notBefore: 1_700_000_009_000, error: "timeout"))
        bytes += try RecordCodec.frame(.dead(id: "msg_k", reason: "attempts exhausted"))
        bytes += try RecordCodec.frame(.ack(id: "msg_z"))
        return bytes + Array(try RecordCodec.frame(.ack(id: "msg_torn")).dropLast(3))
    }

    @Test("a boundary at any byte of a frame changes nothing the scanner reads")
    func everyBoundary() throws {
        #expect(Self.filler.count == SegmentScanner.chunk - 400)
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let path = "\(dir.path)/segment-boundary"
        let prefix = RecordCodec.segmentHeader(number: 1) + Self.filler
        let tail = try Self.tail()
        var checked = 0
        // A pad ack of 10...390 bytes after the filler puts the boundary 390...10 bytes into the tail.
        for idLength in 0...379 {
            let pad = try RecordCodec.frame(.ack(id: String(repeating: "p", count: idLength)))
            let file = prefix + pad + tail
            try Data(file).write(to: URL(fileURLWithPath: path))
            var scanner = try SegmentScanner(path: path)
            defer { scanner.close() }
            // Reads the first chunk from just after the header, as recovery's first frame does,
            // without checksumming the filler on every round.
            _ = try scanner.bytes(at: Int64(RecordCodec.segmentHeaderSize), count: RecordCodec.frameHeaderSize)
            var offset = prefix.count
            var frames = 0
            while true {
                let scanned = try scanner.frame(at: Int64(offset), decode: RecordCodec.decodeBody)
                let whole = RecordCodec.readFrame(file, at: offset)
                guard Self.same(scanned, whole) else {
                    Issue.record("pad \(pad.count): at \(offset) the scanner read \(scanned), the whole file \(whole)")
                    break
                }
                guard case .record(_, let length) = whole else {
                    guard case .torn = whole else {
                        Issue.record("pad \(pad.count): the tail ended in \(whole), not the torn record")
                        break
                    }
                    break
                }
                frames += 1
                offset += length
            }
            #expect(frames == 5, "pad \(pad.count): read \(frames) of 5 frames")
            checked += 1
        }
        #expect(checked == 380)
    }

    static func same(_ a: RecordCodec.FrameResult<JournalRecord>, _ b: RecordCodec.FrameResult<JournalRecord>) -> Bool {
        switch (a, b) {
        case (.record(let x, let m), .record(let y, let n)): x == y && m == n
        case (.end, .end): true
        case (.torn(let x), .torn(let y)), (.corrupt(let x), .corrupt(let y)): x == y
        default: false
        }
    }
}
