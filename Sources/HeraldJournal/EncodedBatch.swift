/// One `append` call's records, framed by the caller's task (off the writer thread), plus what
/// the writer must apply to its index once the bytes are durable.
struct EncodedBatch {
    enum Effect {
        case enqueue(id: String, offset: Int, length: Int, attempts: Int, notBefore: Int64, lastError: String?)
        case attempt(id: String, attempts: Int, notBefore: Int64, error: String)
        case settle(id: String)
    }

    var bytes: [UInt8]
    var effects: [Effect]

    /// Without `writingAttempts`, attempt records change the index but are not written: on a
    /// disk down to its reserve, what is left is kept for the acks and dead records that free
    /// space (an attempt record only saves a retry count across a restart).
    init(_ records: [JournalRecord], writingAttempts: Bool = true) throws(JournalError) {
        var writer = ByteWriter()
        writer.bytes.reserveCapacity(records.reduce(0) { $0 + Self.estimate($1) })
        var effects: [Effect] = []
        effects.reserveCapacity(records.count)
        for record in records {
            let start = writer.bytes.count
            if case .attempt = record, !writingAttempts {
                // The effect below, without the bytes.
            } else {
                try RecordCodec.appendFrame(record, to: &writer)
            }
            switch record {
            case .enqueue(let d):
                effects.append(
                    .enqueue(
                        id: d.id, offset: start, length: writer.bytes.count - start,
                        attempts: d.attempts, notBefore: d.notBefore, lastError: d.lastError))
            case .attempt(let id, let attempts, let notBefore, let error):
                effects.append(.attempt(id: id, attempts: attempts, notBefore: notBefore, error: error))
            case .ack(let id), .dead(let id, _):
                effects.append(.settle(id: id))
            }
        }
        self.bytes = writer.bytes
        self.effects = effects
    }

    private static func estimate(_ record: JournalRecord) -> Int {
        switch record {
        case .enqueue(let d):
            64 + d.id.utf8.count + d.endpoint.utf8.count + d.route.utf8.count + d.eventID.utf8.count
                + d.eventType.utf8.count + (d.lastError?.utf8.count ?? 0) + d.payload.count
        case .attempt(let id, _, _, let error): 32 + id.utf8.count + error.utf8.count
        case .ack(let id): 16 + id.utf8.count
        case .dead(let id, let reason): 16 + id.utf8.count + reason.utf8.count
        }
    }
}
