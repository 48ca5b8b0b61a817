import Glibc

/// The delivery log's line format: one flat JSON object per attempt, `seq`, `time_ms` and
/// `duration_ms` first so that a reader can skip a line after looking at its first bytes.
///
/// ```
/// {"seq":7,"time_ms":1764079038123,"duration_ms":12.345,"time":"2026-11-25T13:57:18.123Z","delivery_id":"msg_…",
///  "event_id":"o-1","event_type":"order.created","route":"orders","endpoint":"erp",
///  "url":"https://erp.example/hooks","attempt":2,"status":503,"error":null,
///  "response_body":"upstream down","response_body_truncated":false,"trace_id":"4bf9…"}
/// ```
/// (`trace_id` only when the request carried a `traceparent`; `source` when the config names its
/// sources, `file` for a glob's files.)
extension DeliveryAttemptRecord {
    /// The record as one JSON object (no newline): the format of the log files, of
    /// `herald log --json` and of the admin API's items.
    public var json: String {
        var bytes: [UInt8] = []
        appendJSON(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the record as one JSON object (no newline).
    public func appendJSON(to out: inout [UInt8]) {
        out.append(contentsOf: #"{"seq":"#.utf8)
        Self.appendInteger(Int64(truncatingIfNeeded: sequence), to: &out)
        out.append(contentsOf: #","time_ms":"#.utf8)
        Self.appendInteger(time, to: &out)
        out.append(contentsOf: #","duration_ms":"#.utf8)
        let duration = max(0, durationMicroseconds)
        Self.appendInteger(duration / 1000, to: &out)
        out.append(UInt8(ascii: "."))
        let micros = duration % 1000
        out.append(contentsOf: [UInt8(48 + micros / 100), UInt8(48 + micros / 10 % 10), UInt8(48 + micros % 10)])
        out.append(contentsOf: #","time":""#.utf8)
        Self.appendTimestamp(time, to: &out)
        Self.appendField("delivery_id", deliveryID, to: &out)
        Self.appendField("event_id", eventID, to: &out)
        Self.appendField("event_type", eventType, to: &out)
        Self.appendField("route", route, to: &out)
        Self.appendField("endpoint", endpoint, to: &out)
        Self.appendField("url", url, to: &out)
        out.append(contentsOf: #","attempt":"#.utf8)
        Self.appendInteger(Int64(attempt), to: &out)
        out.append(contentsOf: #","status":"#.utf8)
        if let status { Self.appendInteger(Int64(status), to: &out) } else { out.append(contentsOf: "null".utf8) }
        out.append(contentsOf: #","error":"#.utf8)
        Self.appendOptionalString(error, to: &out)
        out.append(contentsOf: #","response_body":"#.utf8)
        Self.appendOptionalString(response.text, to: &out)
        out.append(contentsOf: #","response_body_truncated":"#.utf8)
        out.append(contentsOf: (response.truncated ? "true" : "false").utf8)
        if let traceID { Self.appendField("trace_id", traceID, to: &out) }
        if let source { Self.appendField("source", source, to: &out) }
        if let file { Self.appendField("file", file, to: &out) }
        out.append(UInt8(ascii: "}"))
    }

    /// `,"key":"value"`.
    private static func appendField(_ key: StaticString, _ value: String, to out: inout [UInt8]) {
        out.append(contentsOf: #",""#.utf8)
        out.append(contentsOf: UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        out.append(contentsOf: #"":""#.utf8)
        appendEscaped(value, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    private static func appendOptionalString(_ value: String?, to out: inout [UInt8]) {
        guard let value else {
            out.append(contentsOf: "null".utf8)
            return
        }
        out.append(UInt8(ascii: "\""))
        appendEscaped(value, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// The characters of a JSON string (without its quotes); text with nothing to escape — ids,
    /// names, URLs — is copied in one go.
    static func appendEscaped(_ value: String, to out: inout [UInt8]) {
        let utf8 = value.utf8
        guard utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else {
            out.append(contentsOf: utf8)
            return
        }
        let hex = Array("0123456789abcdef".utf8)
        for byte in utf8 {
            if byte == 0x22 || byte == 0x5C {
                out.append(0x5C)
                out.append(byte)
            } else if byte < 0x20 {
                let short: UInt8? = byte == 0x0A ? UInt8(ascii: "n") : byte == 0x09 ? UInt8(ascii: "t") : byte == 0x0D ? UInt8(ascii: "r") : nil
                if let short {
                    out.append(0x5C)
                    out.append(short)
                } else {
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                }
            } else {
                out.append(byte)
            }
        }
    }

    static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(48 + magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            out.append(contentsOf: buffer[(20 - count)...])
        }
    }

    /// RFC 3339 UTC with milliseconds, e.g. `2026-11-25T13:57:18.123Z`.
    static func appendTimestamp(_ milliseconds: Int64, to out: inout [UInt8]) {
        var seconds = time_t(milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000)
        let millis = Int(milliseconds - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int) { out.append(contentsOf: [UInt8(48 + value / 10 % 10), UInt8(48 + value % 10)]) }
        let year = Int(parts.tm_year) + 1900
        two(year / 100)
        two(year % 100)
        out.append(UInt8(ascii: "-"))
        two(Int(parts.tm_mon) + 1)
        out.append(UInt8(ascii: "-"))
        two(Int(parts.tm_mday))
        out.append(UInt8(ascii: "T"))
        two(Int(parts.tm_hour))
        out.append(UInt8(ascii: ":"))
        two(Int(parts.tm_min))
        out.append(UInt8(ascii: ":"))
        two(Int(parts.tm_sec))
        out.append(UInt8(ascii: "."))
        out.append(UInt8(48 + millis / 100))
        two(millis % 100)
        out.append(contentsOf: #"Z""#.utf8)
    }
}

extension DeliveryAttemptRecord {
    /// Reads a line written by ``appendJSON(to:)`` (without its newline); nil for anything else.
    /// Keys it does not know are ignored, so a later Herald may add fields.
    public init?(jsonLine line: UnsafeBufferPointer<UInt8>) {
        var record = DeliveryAttemptRecord(time: 0, deliveryID: "", eventID: "", eventType: "", route: "", endpoint: "", url: "",
                                           attempt: 0, durationMicroseconds: 0, status: nil, error: nil,
                                           response: ResponseExcerpt(text: nil, truncated: false))
        var seen = false
        var scanner = FlatJSONScanner(line)
        let parsed = scanner.forEachField { key, value in
            switch (key, value) {
            case ("seq", .number(let number, _)):
                record.sequence = UInt64(max(0, number))
                seen = true
            case ("time_ms", .number(let number, _)): record.time = number
            case ("delivery_id", .string(let text)): record.deliveryID = text
            case ("event_id", .string(let text)): record.eventID = text
            case ("event_type", .string(let text)): record.eventType = text
            case ("route", .string(let text)): record.route = text
            case ("endpoint", .string(let text)): record.endpoint = text
            case ("url", .string(let text)): record.url = text
            case ("attempt", .number(let number, _)): record.attempt = Int(number)
            case ("duration_ms", .number(let number, let fraction)): record.durationMicroseconds = number * 1000 + fraction
            case ("status", .number(let number, _)): record.status = Int(number)
            case ("error", .string(let text)): record.error = text
            case ("response_body", .string(let text)): record.response.text = text
            case ("response_body_truncated", .bool(let flag)): record.response.truncated = flag
            case ("trace_id", .string(let text)): record.traceID = text
            case ("source", .string(let text)): record.source = text
            case ("file", .string(let text)): record.file = text
            default: break
            }
        }
        guard parsed, seen else { return nil }
        self = record
    }

    /// Reads one line given as text.
    public init?(json: String) {
        guard let record = Array(json.utf8).withUnsafeBufferPointer({ DeliveryAttemptRecord(jsonLine: $0) }) else { return nil }
        self = record
    }
}
