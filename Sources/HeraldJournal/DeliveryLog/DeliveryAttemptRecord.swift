/// One delivery attempt as the delivery log keeps it: what was sent where, when, and what came back.
public struct DeliveryAttemptRecord: Sendable, Equatable {
    /// Position in the log, assigned by ``DeliveryLog/record(_:)``: 1, 2, 3… across rotations and
    /// restarts, so a larger sequence was recorded later.
    public var sequence: UInt64
    /// Unix milliseconds when the request was sent.
    public var time: Int64
    /// The delivery id (the `webhook-id` header).
    public var deliveryID: String
    public var eventID: String
    public var eventType: String
    public var route: String
    public var endpoint: String
    /// The URL requested, without credentials (see ``DeliveryAttemptRecord/displayURL(_:)``).
    public var url: String
    /// 1 for the first attempt of a delivery.
    public var attempt: Int
    /// Time on the wire, in microseconds (stored and shown in milliseconds).
    public var durationMicroseconds: Int64
    /// The response status; nil when no response arrived.
    public var status: Int?
    /// The transport error (connect, timeout, TLS…); nil when a complete response arrived.
    public var error: String?
    /// The start of the response body.
    public var response: ResponseExcerpt
    /// The W3C trace id the request carried in its `traceparent` (see `trace_field`), if any.
    public var traceID: String? = nil
    /// The source the event came from, when the config names its sources (`source:` as a list).
    public var source: String? = nil
    /// The file the event was read from, for a source that is a glob of files.
    public var file: String? = nil

    public init(
        sequence: UInt64 = 0, time: Int64, deliveryID: String, eventID: String, eventType: String, route: String,
        endpoint: String, url: String, attempt: Int, durationMicroseconds: Int64, status: Int?, error: String?,
        response: ResponseExcerpt
    ) {
        self.sequence = sequence
        self.time = time
        self.deliveryID = deliveryID
        self.eventID = eventID
        self.eventType = eventType
        self.route = route
        self.endpoint = endpoint
        self.url = url
        self.attempt = attempt
        self.durationMicroseconds = durationMicroseconds
        self.status = status
        self.error = error
        self.response = response
    }

    /// A 2xx response without a transport error.
    public var succeeded: Bool {
        error == nil && (status.map { (200..<300).contains($0) } ?? false)
    }

    /// `url` without `user:password@`, so that credentials never reach the log.
    public static func displayURL(_ url: String) -> String {
        guard url.utf8.contains(UInt8(ascii: "@")) else { return url }
        let bytes = Array(url.utf8)
        let separator = Array("://".utf8)
        guard let schemeEnd = (0..<max(0, bytes.count - 2)).first(where: { bytes[$0..<$0 + 3].elementsEqual(separator) }) else { return url }
        let authorityStart = schemeEnd + 3
        let authorityEnd = bytes[authorityStart...].firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? bytes.count
        guard let at = bytes[authorityStart..<authorityEnd].lastIndex(of: UInt8(ascii: "@")) else { return url }
        return String(decoding: bytes[..<authorityStart] + bytes[(at + 1)...], as: UTF8.self)
    }
}

/// The first bytes of a response body, kept only when they are UTF-8 text.
public struct ResponseExcerpt: Sendable, Equatable {
    /// How many bytes of a body are kept.
    public static let limit = 1024

    /// The excerpt; nil when the body is not UTF-8 text (binary bodies are not logged).
    public var text: String?
    /// The body was longer than the excerpt.
    public var truncated: Bool

    public init(text: String?, truncated: Bool) {
        self.text = text
        self.truncated = truncated
    }

    /// The first ``limit`` bytes of `body`, cut back to a whole character; `moreFollowed` says
    /// that `body` itself was already a prefix of a longer body.
    public init(body: some Collection<UInt8>, moreFollowed: Bool = false) {
        var end = min(body.count, Self.limit)
        let bytes = Array(body.prefix(end))
        if end < body.count {
            // Step back over a character cut in two: at most three continuation bytes and its lead byte.
            var back = end
            while back > 0, end - back < 4, bytes[back - 1] & 0xC0 == 0x80 { back -= 1 }
            if back > 0, bytes[back - 1] >= 0xC0, Self.sequenceLength(bytes[back - 1]) > end - back + 1 { end = back - 1 }
        }
        text = String(validating: bytes[..<end], as: UTF8.self)
        truncated = moreFollowed || end < body.count
    }

    private static func sequenceLength(_ lead: UInt8) -> Int {
        lead >= 0xF0 ? 4 : (lead >= 0xE0 ? 3 : 2)
    }
}
