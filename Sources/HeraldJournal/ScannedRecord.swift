/// A journal record as recovery reads it: only what the index and the dispatcher's queue keep.
/// The payload, route and event fields are stepped over, not copied; they stay on disk until the
/// delivery is read back before its turn. ``RecordCodec/scanBody(_:names:)`` must follow the
/// layout ``RecordCodec/decodeBody(_:)`` reads (a test holds them together).
enum ScannedRecord: Equatable {
    case enqueue(id: String, endpoint: String, enqueuedAt: Int64, attempts: Int, notBefore: Int64, lastError: String?,
                 orderingKey: UInt64, source: SourcePosition?)
    case attempt(id: String, attempts: Int, notBefore: Int64, error: String)
    case settle(id: String)
}

/// Endpoint names seen by a scan, each one `String` shared by every record that names it: a
/// million recovered deliveries then cost no allocation for their endpoint, however long its name.
struct NameTable {
    private var names: [(bytes: [UInt8], name: String)] = []

    mutating func name(for bytes: ArraySlice<UInt8>) -> String {
        if let known = names.first(where: { $0.bytes.elementsEqual(bytes) }) { return known.name }
        let name = String(decoding: bytes, as: UTF8.self)
        // Bounded: a journal written by many configs may name many endpoints; past that, no sharing.
        if names.count < 256 { names.append((Array(bytes), name)) }
        return name
    }
}

extension RecordCodec {
    static func scanBody(_ r: inout ByteReader, names: inout NameTable) throws(JournalError) -> ScannedRecord {
        let kindByte = try r.byte()
        guard let kind = Kind(rawValue: kindByte) else {
            throw JournalError(.corrupt, "unknown record kind \(kindByte)")
        }
        switch kind {
        case .enqueue:
            let id = try r.string()
            let endpoint = try r.withBlob { names.name(for: $0) }
            try r.skipBlob()  // route
            try r.skipBlob()  // event id
            try r.skipBlob()  // event type
            let enqueuedAt = try r.signed()
            let attempts = try r.signed()
            let notBefore = try r.signed()
            let lastError: String? = try r.byte() == 0 ? nil : r.string()
            try r.skipBlob()  // payload
            var key: UInt64 = 0
            var source: SourcePosition?
            try readTrailer(&r, key: { (reader: inout ByteReader) throws(JournalError) in key = try reader.withBlob(OrderingKey.hash(bytes:)) }, source: { source = $0 })
            return .enqueue(id: id, endpoint: endpoint, enqueuedAt: enqueuedAt, attempts: Int(attempts), notBefore: notBefore,
                            lastError: lastError, orderingKey: key, source: source)
        case .attempt:
            let id = try r.string()
            let attempts = try r.signed()
            let notBefore = try r.signed()
            let error = try r.string()
            return .attempt(id: id, attempts: Int(attempts), notBefore: notBefore, error: error)
        case .ack:
            return .settle(id: try r.string())
        case .dead:
            let id = try r.string()
            try r.skipBlob()  // reason
            return .settle(id: id)
        }
    }
}
