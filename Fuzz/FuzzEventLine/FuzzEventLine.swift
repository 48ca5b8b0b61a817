import HeraldCore

/// One input is the bytes of one line without its newline. The decoder must return an event or a
/// rejection for any of them: a trap, a hang (libFuzzer's -timeout) or runaway memory is a finding.
/// Two field paths are tried, so nested lookups and a missing type are both exercised. An accepted
/// body must also survive the trip through `JSONWriter` (what shaping sends) and back unchanged.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEventLine(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let line = Array(UnsafeBufferPointer(start: data, count: size))
    for decoder in decoders {
        switch decoder.decode(line, lineNumber: 1) {
        case .success(let event):
            // An accepted line has what the router needs: a non-empty type and an id.
            precondition(!event.type.isEmpty && !event.id.isEmpty, "accepted an event without a type or id")
            let written = JSONWriter.encodeBytes(.object(event.body))
            guard let reread = try? JSONParser.parse(written) else {
                preconditionFailure("JSONWriter wrote what JSONParser refuses: \(String(decoding: written, as: UTF8.self))")
            }
            precondition(reread == .object(event.body), "the body changed on the way through JSONWriter")
        case .failure(let rejection):
            precondition(!rejection.message.isEmpty, "a rejection without a message")
        }
    }
    return 0
}

private let decoders = [
    EventDecoder(typeField: FieldPath("type")!, idField: FieldPath("id")!, maxLineBytes: 1 << 20),
    EventDecoder(typeField: FieldPath("meta.kind")!, idField: FieldPath("meta.event.id")!, maxLineBytes: 1 << 12),
]
