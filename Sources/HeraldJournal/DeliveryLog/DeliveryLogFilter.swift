/// Which attempts a delivery-log query returns; every condition that is set must hold.
public struct DeliveryLogFilter: Sendable {
    /// Endpoint name, exactly.
    public var endpoint: String?
    /// Route name, exactly.
    public var route: String?
    public var eventType: TextMatch?
    public var status: DeliveryStatusFilter?
    /// Unix milliseconds: only attempts sent at or after this time.
    public var since: Int64?

    public init(endpoint: String? = nil, route: String? = nil, eventType: TextMatch? = nil, status: DeliveryStatusFilter? = nil, since: Int64? = nil) {
        self.endpoint = endpoint
        self.route = route
        self.eventType = eventType
        self.status = status
        self.since = since
    }

    public func matches(_ record: DeliveryAttemptRecord) -> Bool {
        if let endpoint, record.endpoint != endpoint { return false }
        if let route, record.route != route { return false }
        if let eventType, !eventType.matches(record.eventType) { return false }
        if let status, !status.matches(record) { return false }
        if let since, record.time < since { return false }
        return true
    }
}

/// A condition on a text field: equality, or any predicate (such as an event-type glob).
public struct TextMatch: Sendable {
    /// What was asked for, as the user wrote it.
    public let text: String
    /// Set when the match is plain equality, which lets a reader skip lines cheaply.
    public let exact: String?
    private let predicate: @Sendable (String) -> Bool

    public static func equals(_ text: String) -> TextMatch {
        TextMatch(text: text, exact: text) { $0 == text }
    }

    public init(_ text: String, matching predicate: @escaping @Sendable (String) -> Bool) {
        self.init(text: text, exact: nil, predicate: predicate)
    }

    private init(text: String, exact: String?, predicate: @escaping @Sendable (String) -> Bool) {
        self.text = text
        self.exact = exact
        self.predicate = predicate
    }

    public func matches(_ value: String) -> Bool { predicate(value) }
}

/// Attempts by outcome: `failed`, `delivered`, `error`, a status code or a status class.
public enum DeliveryStatusFilter: Sendable, Equatable, CustomStringConvertible {
    /// No response (a transport error) or a status outside 2xx.
    case failed
    /// A 2xx response.
    case delivered
    /// No complete response: connect, timeout, TLS or other transport errors.
    case transportError
    /// This status exactly, e.g. 503.
    case code(Int)
    /// Any status of this hundred, e.g. 5 for 5xx.
    case statusClass(Int)

    /// Reads `failed`, `delivered` (or `ok`), `error`, `503` or `5xx`; nil for anything else.
    public init?(_ text: String) {
        switch text.lowercased() {
        case "failed": self = .failed
        case "delivered", "ok": self = .delivered
        case "error": self = .transportError
        case let lower:
            if lower.count == 3, lower.hasSuffix("xx"), let digit = Int(lower.prefix(1)), (1...5).contains(digit) {
                self = .statusClass(digit)
            } else if lower.count == 3, let code = Int(lower), (100...599).contains(code) {
                self = .code(code)
            } else {
                return nil
            }
        }
    }

    public func matches(_ record: DeliveryAttemptRecord) -> Bool {
        switch self {
        case .failed: !record.succeeded
        case .delivered: record.succeeded
        case .transportError: record.error != nil
        case .code(let code): record.status == code
        case .statusClass(let digit): record.status.map { $0 / 100 == digit } ?? false
        }
    }

    public var description: String {
        switch self {
        case .failed: "failed"
        case .delivered: "delivered"
        case .transportError: "error"
        case .code(let code): "\(code)"
        case .statusClass(let digit): "\(digit)xx"
        }
    }
}
