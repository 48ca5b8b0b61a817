import HeraldHTTP

/// W3C Trace Context taken from the event (`trace_field`), so that a receiver's spans join the
/// trace of the code that wrote the event. The field holds the `traceparent` string, or an object
/// with `traceparent` and optionally `tracestate`. A value that is not a valid traceparent is not
/// sent (the receiver then starts its own trace, as the spec says it should); a tracestate goes
/// only with a valid traceparent.
public struct TraceContext: Sendable, Equatable {
    public var traceparent: String
    public var tracestate: String?

    /// The trace id (32 hex digits) of `traceparent`: what the delivery log records.
    public var traceID: String { String(traceparent.utf8.dropFirst(3).prefix(32))! }

    /// The context at `path` in `event`, or nil when there is none or it is invalid.
    public init?(in event: Event, at path: FieldPath) {
        switch event[path] {
        case .string(let parent)?:
            self.init(traceparent: parent, tracestate: nil)
        case .object(let object)?:
            guard case .string(let parent)? = object["traceparent"] else { return nil }
            var state: String?
            if case .string(let text)? = object["tracestate"] { state = text }
            self.init(traceparent: parent, tracestate: state)
        default:
            return nil
        }
    }

    public init?(traceparent: String, tracestate: String?) {
        guard Self.isValidParent(traceparent) else { return nil }
        self.traceparent = traceparent
        self.tracestate = tracestate.flatMap { Self.isValidState($0) ? $0 : nil }
    }

    public var headers: [HTTPHeader] {
        [HTTPHeader("traceparent", traceparent)] + (tracestate.map { [HTTPHeader("tracestate", $0)] } ?? [])
    }

    /// The trace id of a stored payload's `traceparent` header, if it has one.
    public static func traceID(in headers: [HTTPHeader]) -> String? {
        headers.first(named: "traceparent").flatMap { TraceContext(traceparent: $0, tracestate: nil)?.traceID }
    }

    /// `version-traceid-parentid-flags`, lowercase hex: version `00` exactly 55 characters; a later
    /// version (not `ff`) may append `-…`; trace id and parent id not all zeros.
    static func isValidParent(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 55, bytes[2] == 0x2D, bytes[35] == 0x2D, bytes[52] == 0x2D else { return false }
        func hex(_ range: Range<Int>) -> Bool { bytes[range].allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) } }
        guard hex(0..<2), hex(3..<35), hex(36..<52), hex(53..<55) else { return false }
        let version = bytes[0..<2]
        if version.elementsEqual("ff".utf8) { return false }
        if version.elementsEqual("00".utf8) ? bytes.count != 55 : (bytes.count > 55 && bytes[55] != 0x2D) { return false }
        return !bytes[3..<35].allSatisfy { $0 == 0x30 } && !bytes[36..<52].allSatisfy { $0 == 0x30 }
    }

    /// At most 512 characters of printable ASCII in at most 32 `key=value` members.
    static func isValidState(_ text: String) -> Bool {
        let bytes = text.utf8
        guard !bytes.isEmpty, bytes.count <= 512, bytes.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) else { return false }
        let members = text.split(separator: ",").map { $0.trimmingCharacters(in: " \t") }.filter { !$0.isEmpty }
        return members.count <= 32 && members.allSatisfy { $0.contains("=") && !$0.hasPrefix("=") }
    }
}

private extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var text = self
        while let first = text.first, set.contains(first) { text.removeFirst() }
        while let last = text.last, set.contains(last) { text.removeLast() }
        return text
    }
}
