/// What the journal keeps of a rendered request: the body and its content type. URL, credentials
/// and signatures are not stored — they come from the endpoint's current config at send time,
/// so no secret ever reaches the disk and a rotated secret or moved URL applies to the backlog.
public struct StoredPayload: Sendable, Equatable {
    public var contentType: String
    public var body: [UInt8]

    public init(contentType: String, body: [UInt8]) {
        self.contentType = contentType
        self.body = body
    }

    /// The content type of a payload that still needs rendering: the event's own line, kept when
    /// the route's transform failed at ingest. It is rendered again under the config in force at
    /// send time, so fixing the route and replaying the dead letter sends the right body.
    public static let unrendered = "application/x-herald-unrendered"

    private static let version: UInt8 = 1

    /// `version, content-type length (UInt16 LE), content type, body`.
    public func encoded() -> [UInt8] {
        let type = Array(contentType.utf8.prefix(Int(UInt16.max)))
        var bytes: [UInt8] = [Self.version, UInt8(type.count & 0xFF), UInt8(type.count >> 8)]
        bytes.reserveCapacity(3 + type.count + body.count)
        bytes.append(contentsOf: type)
        bytes.append(contentsOf: body)
        return bytes
    }

    public init?(decoding bytes: [UInt8]) {
        guard bytes.count >= 3, bytes[0] == Self.version else { return nil }
        let length = Int(bytes[1]) | Int(bytes[2]) << 8
        guard bytes.count >= 3 + length else { return nil }
        contentType = String(decoding: bytes[3..<(3 + length)], as: UTF8.self)
        body = Array(bytes[(3 + length)...])
    }
}
