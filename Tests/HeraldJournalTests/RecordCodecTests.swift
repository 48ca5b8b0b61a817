import Testing

@testable import HeraldJournal

@Suite("Record encoding")
struct RecordCodecTests {
    static let records: [JournalRecord] = [
        .enqueue(delivery("msg_1")),
        .enqueue(
            PendingDelivery(
                id: "msg_ü", endpoint: "", route: "r", eventID: "e", eventType: "t", enqueuedAt: -5,
                attempts: 7, notBefore: Int64.max, lastError: "HTTP 503 Service Unavailable", payload: [])),
        .enqueue(
            PendingDelivery(
                id: "msg_src", endpoint: "e", route: "r", eventID: "e", eventType: "t", enqueuedAt: 1, payload: [1, 2],
                orderingKey: "customer-7",
                source: SourcePosition(device: 64_769, inode: UInt64.max, fingerprintHash: 0xDEAD_BEEF_0BAD_F00D, fingerprintLength: 256,
                                       offset: 1 << 40, length: 301))),
        .attempt(id: "msg_1", attempts: 3, notBefore: 1_700_000_123_456, error: "timeout after 10s"),
        .ack(id: "msg_1"),
        .dead(id: "msg_2", reason: "410 Gone"),
    ]

    @Test("every record kind decodes to what was encoded", arguments: records)
    func roundTrip(record: JournalRecord) throws {
        let frame = try RecordCodec.frame(record)
        guard case .record(let decoded, let length) = RecordCodec.readFrame(frame, at: 0) else {
            Issue.record("frame did not decode")
            return
        }
        #expect(decoded == record)
        #expect(length == frame.count)
    }

    @Test("a record cut anywhere reads as torn, never as a record")
    func cutFrame() throws {
        let frame = try RecordCodec.frame(.enqueue(delivery("msg_cut", payloadSize: 40)))
        for cut in 1..<frame.count {
            let result = RecordCodec.readFrame(Array(frame[0..<cut]), at: 0)
            guard case .torn = result else {
                Issue.record("cut at \(cut) read as \(result)")
                continue
            }
        }
    }

    @Test("a version-1 enqueue record (key flag 0 or a key, no source) still decodes")
    func versionOneTrailer() throws {
        var plain = delivery("msg_v1")
        plain.orderingKey = nil
        var frame = try RecordCodec.frame(.enqueue(plain))
        // Version 1 wrote no trailer without a key; older builds wrote a 0 flag. Append one and re-frame.
        var body = Array(frame[RecordCodec.frameHeaderSize...])
        body.append(0)
        var writer = ByteWriter()
        writer.fixed32(UInt32(body.count))
        writer.fixed32(0)
        writer.bytes += body
        let crc = writer.bytes.withUnsafeBytes { CRC32C.update(CRC32C.update(0, UnsafeRawBufferPointer(rebasing: $0[0..<4])), UnsafeRawBufferPointer(rebasing: $0[8...])) }
        writer.setFixed32(crc, at: 4)
        frame = writer.bytes
        guard case .record(.enqueue(let decoded), _) = RecordCodec.readFrame(frame, at: 0) else {
            Issue.record("a 0 key flag did not decode")
            return
        }
        #expect(decoded == plain)
    }

    @Test("any single flipped bit is caught")
    func flippedBits() throws {
        let frame = try RecordCodec.frame(.attempt(id: "msg_1", attempts: 2, notBefore: 99, error: "503"))
        for index in 0..<frame.count {
            for bit in 0..<8 {
                var damaged = frame
                damaged[index] ^= UInt8(1) << UInt8(bit)
                if case .record = RecordCodec.readFrame(damaged, at: 0) {
                    Issue.record("flip of bit \(bit) in byte \(index) went unnoticed")
                }
            }
        }
    }
}

@Suite("Record scanning at recovery")
struct ScannedRecordTests {
    /// What the full decoder says, reduced to what the scan keeps.
    static func expected(_ record: JournalRecord) -> ScannedRecord {
        switch record {
        case .enqueue(let d):
            .enqueue(id: d.id, endpoint: d.endpoint, enqueuedAt: d.enqueuedAt, attempts: d.attempts, notBefore: d.notBefore,
                     lastError: d.lastError, orderingKey: OrderingKey.hash(d.orderingKey), source: d.source)
        case .attempt(let id, let attempts, let notBefore, let error):
            .attempt(id: id, attempts: attempts, notBefore: notBefore, error: error)
        case .ack(let id), .dead(let id, _):
            .settle(id: id)
        }
    }

    static func scan(_ frame: [UInt8], names: inout NameTable) -> RecordCodec.FrameResult<ScannedRecord> {
        RecordCodec.readFrame(frame, at: 0) { (reader: inout ByteReader) throws(JournalError) in
            try RecordCodec.scanBody(&reader, names: &names)
        }
    }

    @Test("the scan reads the layout the full decoder reads, for random records of every kind")
    func agreesWithTheDecoder() throws {
        var random = SystemRandomNumberGenerator()
        var names = NameTable()
        func text(_ limit: Int) -> String {
            String((0..<Int.random(in: 0...limit, using: &random)).map { _ in "aé-_0Z€".randomElement(using: &random)! })
        }
        for round in 0..<2_000 {
            var d = delivery("msg_\(round)", payloadSize: Int.random(in: 0...600, using: &random))
            d.endpoint = ["billing", "a-very-long-endpoint-name-shared-by-records", text(20)].randomElement(using: &random)!
            d.route = text(30)
            d.eventID = text(40)
            d.eventType = text(20)
            d.enqueuedAt = Int64.random(in: Int64.min...Int64.max, using: &random)
            d.attempts = Int.random(in: 0...70_000, using: &random)
            d.notBefore = Int64.random(in: -1...Int64.max, using: &random)
            d.lastError = Bool.random(using: &random) ? text(50) : nil
            d.orderingKey = Bool.random(using: &random) ? text(300) : nil
            d.source = Bool.random(using: &random)
                ? SourcePosition(device: .random(in: 0...UInt64.max, using: &random), inode: .random(in: 0...UInt64.max, using: &random),
                                 fingerprintHash: .random(in: 0...UInt64.max, using: &random), fingerprintLength: .random(in: 0...256, using: &random),
                                 offset: .random(in: 0...Int64.max / 2, using: &random), length: .random(in: 1...1 << 30, using: &random))
                : nil
            let records: [JournalRecord] = [
                .enqueue(d), .attempt(id: d.id, attempts: d.attempts, notBefore: d.notBefore, error: text(80)),
                .ack(id: d.id), .dead(id: d.id, reason: text(200)),
            ]
            for record in records {
                let frame = try RecordCodec.frame(record)
                guard case .record(let scanned, let length) = Self.scan(frame, names: &names) else {
                    Issue.record("\(record) did not scan")
                    return
                }
                #expect(scanned == Self.expected(record))
                #expect(length == frame.count)
            }
        }
    }

    @Test("a damaged frame scans as torn or corrupt, as it decodes")
    func damage() throws {
        var names = NameTable()
        let frame = try RecordCodec.frame(.enqueue(delivery("msg_cut", payloadSize: 40)))
        for cut in 1..<frame.count {
            guard case .torn = Self.scan(Array(frame[0..<cut]), names: &names) else {
                Issue.record("cut at \(cut) did not scan as torn")
                continue
            }
        }
        var flipped = frame
        flipped[20] ^= 0x10
        guard case .corrupt = Self.scan(flipped, names: &names) else {
            Issue.record("a flipped byte was not caught")
            return
        }
    }
}
