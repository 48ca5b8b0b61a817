/// A page request against the delivery log: a filter, a page size and where to continue.
public struct DeliveryLogQuery: Sendable {
    public static let defaultLimit = 50
    public static let maxLimit = 1000

    public var filter: DeliveryLogFilter
    /// At most this many items (1…``maxLimit``).
    public var limit: Int
    /// Continue after the page that returned this cursor (pass the same filter again).
    public var cursor: DeliveryLogCursor?

    public init(filter: DeliveryLogFilter = DeliveryLogFilter(), limit: Int = Self.defaultLimit, cursor: DeliveryLogCursor? = nil) {
        self.filter = filter
        self.limit = max(1, min(limit, Self.maxLimit))
        self.cursor = cursor
    }
}

/// One page of attempts, newest first.
public struct DeliveryLogPage: Sendable {
    public var items: [DeliveryAttemptRecord]
    /// Where the next page starts; nil on the last page.
    public var nextCursor: DeliveryLogCursor?
    /// The scan budget ran out before the page was full: more may match past ``nextCursor``.
    public var partial: Bool

    public init(items: [DeliveryAttemptRecord], nextCursor: DeliveryLogCursor?, partial: Bool = false) {
        self.items = items
        self.nextCursor = nextCursor
        self.partial = partial
    }

    /// `{"items":[…],"next_cursor":"…"}` (`null` on the last page), with `"partial":true` when
    /// the scan budget cut the page short: the admin API's answer.
    public var json: [UInt8] {
        var out: [UInt8] = Array(#"{"items":["#.utf8)
        for (index, item) in items.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            item.appendJSON(to: &out)
        }
        out.append(contentsOf: #"],"next_cursor":"#.utf8)
        if let nextCursor {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: nextCursor.description.utf8)
            out.append(UInt8(ascii: "\""))
        } else {
            out.append(contentsOf: "null".utf8)
        }
        if partial { out.append(contentsOf: #","partial":true"#.utf8) }
        out.append(UInt8(ascii: "}"))
        return out
    }
}
