import Glibc
@testable import HeraldJournal

/// One input is a selector byte, then bytes read as journal frames. For every input:
/// - `RecordCodec.readFrame` walks the frames without trapping, and every record it decodes
///   re-encodes to a frame that decodes to the same record;
/// - the recovery scan (`scanBody`) judges every frame as the full decode does and reads the
///   same fields;
/// - as the selector's low two bits say, `SegmentScanner` reads a segment file of those bytes
///   (behind a header, or as the raw file) and returns, frame by frame, exactly what `readFrame`
///   says of the whole file.
/// The scanner's 1 MiB chunk boundary is out of a fuzzer's reach (a megabyte to checksum per run);
/// `SegmentScannerBoundaryTests` puts it at every offset of a few frames instead.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJournal(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = input.first else { return 0 }
    let body = Array(input.dropFirst())
    checkCodec(body, from: 0)
    switch selector & 3 {
    case 1:
        checkScanner(file: RecordCodec.segmentHeader(number: 7) + body)
    case 2:
        checkScanner(file: body)
    default:
        break
    }
    return 0
}

/// Walks `bytes` frame by frame from `offset`, checking the round trip and the scan of each.
func checkCodec(_ bytes: [UInt8], from offset: Int) {
    var names = NameTable()
    var offset = offset
    while true {
        let full = RecordCodec.readFrame(bytes, at: offset)
        let scanned = RecordCodec.readFrame(bytes, at: offset) { (r: inout ByteReader) throws(JournalError) in
            try RecordCodec.scanBody(&r, names: &names)
        }
        guard case .record(let record, let length) = full else {
            precondition(sameOutcome(full, scanned), "scan says \(describe(scanned)), decode says \(describe(full))")
            return
        }
        guard case .record(let scan, let scanLength) = scanned, scanLength == length else {
            preconditionFailure("decode read \(record) in \(length) bytes, scan says \(describe(scanned))")
        }
        precondition(scan.withoutKey == ScannedRecord(record).withoutKey, "scan read \(scan), decode read \(record)")

        let encoded: [UInt8]
        do { encoded = try RecordCodec.frame(record) } catch { preconditionFailure("cannot re-encode \(record): \(error)") }
        guard case .record(let again, let againLength) = RecordCodec.readFrame(encoded, at: 0),
              again == record, againLength == encoded.count else {
            preconditionFailure("\(record) re-encoded does not decode to itself")
        }
        var freshNames = NameTable()
        let rescanned = RecordCodec.readFrame(encoded, at: 0) { (r: inout ByteReader) throws(JournalError) in
            try RecordCodec.scanBody(&r, names: &freshNames)
        }
        guard case .record(let rescan, _) = rescanned, rescan == ScannedRecord(record) else {
            preconditionFailure("scan of re-encoded \(record) says \(describe(rescanned))")
        }
        offset += length
    }
}

/// Reads `file` through `SegmentScanner` and holds every frame to what `readFrame` says of the
/// whole file.
func checkScanner(file: [UInt8]) {
    let path = scratchPath
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    precondition(fd >= 0, "cannot create \(path)")
    do { try FileIO.writeAll(fd, file, path: path) } catch { preconditionFailure("cannot write \(path): \(error)") }
    close(fd)

    var scanner: SegmentScanner
    do { scanner = try SegmentScanner(path: path) } catch { preconditionFailure("cannot open \(path): \(error)") }
    defer { scanner.close() }
    do {
        let header = try scanner.bytes(at: 0, count: RecordCodec.segmentHeaderSize)
        precondition(header == Array(file.prefix(RecordCodec.segmentHeaderSize)), "scanner read another header")
        guard case .success = RecordCodec.parseSegmentHeader(header) else { return }
        var offset = RecordCodec.segmentHeaderSize
        while true {
            let fromFile = try scanner.frame(at: Int64(offset), decode: RecordCodec.decodeBody)
            let whole = RecordCodec.readFrame(file, at: offset)
            precondition(sameResult(fromFile, whole), "at \(offset) scanner says \(describe(fromFile)), readFrame says \(describe(whole))")
            guard case .record(_, let length) = whole else { return }
            offset += length
        }
    } catch {
        preconditionFailure("scanner failed on a regular file: \(error)")
    }
}

/// Equal results; describing them instead would cost a pass over every byte of a big record.
func sameResult<Record: Equatable>(_ a: RecordCodec.FrameResult<Record>, _ b: RecordCodec.FrameResult<Record>) -> Bool {
    switch (a, b) {
    case (.record(let x, let m), .record(let y, let n)): x == y && m == n
    default: sameOutcome(a, b)
    }
}

/// The same verdict on a frame that is not a record (either may be of another record type).
func sameOutcome<A, B>(_ a: RecordCodec.FrameResult<A>, _ b: RecordCodec.FrameResult<B>) -> Bool {
    switch (a, b) {
    case (.end, .end): true
    case (.torn(let x), .torn(let y)), (.corrupt(let x), .corrupt(let y)): x == y
    default: false
    }
}

func describe<Record>(_ result: RecordCodec.FrameResult<Record>) -> String {
    switch result {
    case .record(let record, let length): "record \(record) (\(length) bytes)"
    case .end: "end"
    case .torn(let reason): "torn: \(reason)"
    case .corrupt(let reason): "corrupt: \(reason)"
    }
}

private let scratchPath = "/tmp/herald-fuzz-journal-\(getpid()).seg"
