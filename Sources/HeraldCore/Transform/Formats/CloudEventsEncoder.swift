import HeraldHTTP

/// CloudEvents 1.0 over HTTP. Binary mode: the body is the event data and the attributes travel
/// as `ce-*` headers; structured mode: one `application/cloudevents+json` document. `id` and
/// `type` are the event's, `source` is configured, `time` comes from a configured field.
enum CloudEventsEncoder {
    static let specVersion = "1.0"

    /// The data: JSON, or text (a template whose output is not JSON).
    enum Data {
        case json(JSONValue)
        case text(String)
    }

    /// The payload, given up with ``BodyTooLarge`` once its body passes `limit` bytes.
    static func payload(_ data: Data, event: Event, options: CloudEventsOptions, limit: Int) throws(BodyTooLarge) -> StoredPayload {
        var attributes: [(String, String)] = [("specversion", specVersion), ("id", event.id), ("source", options.source), ("type", event.type)]
        if let path = options.timeField, case .string(let time)? = event[path] { attributes.append(("time", time)) }
        switch options.mode {
        case .binary:
            let headers = attributes.map { HTTPHeader("ce-" + $0.0, headerValue($0.1)) }
            switch data {
            case .json(let value):
                return StoredPayload(
                    contentType: "application/json", body: try JSONWriter.encodeBytes(value, limit: limit, stage: "cloudevents"),
                    headers: headers)
            case .text(let text):
                guard text.utf8.count <= limit else { throw BodyTooLarge(limit: limit, stage: "cloudevents") }
                return StoredPayload(contentType: "text/plain; charset=utf-8", body: Array(text.utf8), headers: headers)
            }
        case .structured:
            var envelope = JSONObject(attributes.map { JSONField(key: $0.0, value: .string($0.1)) })
            switch data {
            case .json(let value):
                envelope["datacontenttype"] = .string("application/json")
                envelope["data"] = value
            case .text(let text):
                envelope["datacontenttype"] = .string("text/plain")
                envelope["data"] = .string(text)
            }
            return StoredPayload(
                contentType: "application/cloudevents+json",
                body: try JSONWriter.encodeBytes(.object(envelope), limit: limit, stage: "cloudevents"))
        }
    }

    private static let hex = Array("0123456789ABCDEF".utf8)

    /// HTTP binding §3.1.3.2: space, `"`, `%` and bytes outside printable ASCII are percent-encoded.
    static func headerValue(_ text: String) -> String {
        var output: [UInt8] = []
        for byte in text.utf8 {
            if byte > 0x20, byte < 0x7F, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "%") {
                output.append(byte)
            } else {
                output.append(contentsOf: [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
