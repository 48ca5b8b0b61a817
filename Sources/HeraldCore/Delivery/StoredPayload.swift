import HeraldHTTP

/// What the journal keeps of a rendered request: the body, its content type, and the headers the
/// format derives from the event (CloudEvents' `ce-*`). URL, credentials and signatures are not
/// stored — they come from the endpoint's current config at send time, so no secret ever reaches
/// the disk and a rotated secret or moved URL applies to the backlog.
public struct StoredPayload: Sendable, Equatable {
    public var contentType: String
    public var body: [UInt8]
    /// Per-event headers sent with the body.
    public var headers: [HTTPHeader]

    public init(contentType: String, body: [UInt8], headers: [HTTPHeader] = []) {
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    /// The content type of a payload that still needs rendering: the event's own line, kept when
    /// the route's transform failed at ingest. It is rendered again under the config in force at
    /// send time, so fixing the route and replaying the dead letter sends the right body.
    public static let unrendered = "application/x-herald-unrendered"

    /// Version 1: `1, content-type length (UInt16 LE), content type, body`. Version 2 (written
    /// only when there are headers) adds, after the content type, a header count (UInt16 LE) and
    /// each header as name length, name, value length, value (lengths UInt16 LE).
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = [headers.isEmpty ? 1 : 2]
        bytes.reserveCapacity(3 + contentType.utf8.count + body.count)
        Self.appendString(contentType, to: &bytes)
        if !headers.isEmpty {
            let count = min(headers.count, Int(UInt16.max))
            bytes.append(contentsOf: [UInt8(count & 0xFF), UInt8(count >> 8)])
            for header in headers.prefix(count) {
                Self.appendString(header.name, to: &bytes)
                Self.appendString(header.value, to: &bytes)
            }
        }
        bytes.append(contentsOf: body)
        return bytes
    }

    public init?(decoding bytes: [UInt8]) {
        guard let version = bytes.first, version == 1 || version == 2 else { return nil }
        var offset = 1
        guard let type = Self.readString(bytes, &offset) else { return nil }
        var headers: [HTTPHeader] = []
        if version == 2 {
            guard let count = Self.readLength(bytes, &offset) else { return nil }
            for _ in 0..<count {
                guard let name = Self.readString(bytes, &offset), let value = Self.readString(bytes, &offset) else { return nil }
                headers.append(HTTPHeader(name, value))
            }
        }
        contentType = type
        self.headers = headers
        body = Array(bytes[offset...])
    }

    private static func appendString(_ text: String, to bytes: inout [UInt8]) {
        let utf8 = Array(text.utf8.prefix(Int(UInt16.max)))
        bytes.append(contentsOf: [UInt8(utf8.count & 0xFF), UInt8(utf8.count >> 8)])
        bytes.append(contentsOf: utf8)
    }

    private static func readLength(_ bytes: [UInt8], _ offset: inout Int) -> Int? {
        guard bytes.count >= offset + 2 else { return nil }
        defer { offset += 2 }
        return Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
    }

    private static func readString(_ bytes: [UInt8], _ offset: inout Int) -> String? {
        guard let length = readLength(bytes, &offset), bytes.count >= offset + length else { return nil }
        defer { offset += length }
        return String(decoding: bytes[offset..<(offset + length)], as: UTF8.self)
    }
}
