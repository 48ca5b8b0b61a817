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
