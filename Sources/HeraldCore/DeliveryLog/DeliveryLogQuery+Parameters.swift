import Foundation
import HeraldJournal

/// A delivery-log filter parameter that does not parse: which one and why, for a usage error
/// (`herald log`) or a 400 answer (`GET /deliveries`).
public struct DeliveryLogParameterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The parameter as the admin API spells it (`event_type`).
    public var parameter: String
    public var message: String

    public init(parameter: String, message: String) {
        self.parameter = parameter
        self.message = message
    }

    /// `since: '1x' is not a duration: …`
    public var description: String { "\(parameter): \(message)" }

    /// The same with the command-line flag: `--since: '1x' is not a duration: …`
    public var commandLineDescription: String { "--\(parameter.replacingOccurrences(of: "_", with: "-")): \(message)" }
}

extension DeliveryLogQuery {
    /// The parameters ``parse(_:now:)`` reads, shared by `herald log` and `GET /deliveries`.
    public static let parameterNames = ["endpoint", "route", "event_type", "status", "since", "limit", "cursor"]

    /// Builds a query from textual parameters (name, value), as a query string or command-line
    /// flags give them:
    /// - `endpoint`, `route`: exact names; `event_type`: a name or a glob (`order.*`);
    /// - `status`: `failed` (no 2xx), `delivered` or `ok` (2xx), `error` (no response), a code
    ///   like `503` or a class like `5xx`;
    /// - `since`: a duration back from `now` (`1h`, `30m`) or an RFC 3339 time;
    /// - `limit`: 1…1000 (default 50); `cursor`: from a previous page.
    /// An unknown, repeated or unreadable parameter is an error naming it.
    public static func parse(_ parameters: [(String, String)], now: Int64) -> Result<DeliveryLogQuery, DeliveryLogParameterError> {
        Result { () throws(DeliveryLogParameterError) in try parseThrowing(parameters, now: now) }
    }

    private static func parseThrowing(_ parameters: [(String, String)], now: Int64) throws(DeliveryLogParameterError) -> DeliveryLogQuery {
        var query = DeliveryLogQuery()
        var seen: Set<String> = []
        for (name, value) in parameters {
            func fail(_ message: String) -> DeliveryLogParameterError { DeliveryLogParameterError(parameter: name, message: message) }
            guard parameterNames.contains(name) else {
                let hint = Suggestion.closest(to: name, in: parameterNames).map { ", did you mean '\($0)'?" } ?? " (known: \(parameterNames.joined(separator: ", ")))"
                throw DeliveryLogParameterError(parameter: name, message: "unknown parameter\(hint)")
            }
            guard seen.insert(name).inserted else { throw fail("given more than once") }
            guard !value.isEmpty else { throw fail("needs a value") }
            switch name {
            case "endpoint": query.filter.endpoint = value
            case "route": query.filter.route = value
            case "event_type":
                if let problem = EventPattern.problem(with: value) { throw fail(problem) }
                guard let pattern = EventPattern(value) else { throw fail("'\(value)' is not an event type or glob") }
                query.filter.eventType = pattern.isExact ? .equals(value) : TextMatch(value) { pattern.matches($0) }
            case "status":
                guard let status = DeliveryStatusFilter(value) else {
                    throw fail("'\(value)' is not a status: use failed, delivered, error, a code like 503 or a class like 5xx")
                }
                query.filter.status = status
            case "since":
                guard let since = since(value, now: now) else {
                    throw fail("'\(value)' is not a duration or a time: use 500ms, 10s, 5m, 2h or 3d, or an RFC 3339 time like 2026-01-31T09:00:00Z")
                }
                query.filter.since = since
            case "limit":
                guard let limit = Int(value), (1...maxLimit).contains(limit) else { throw fail("'\(value)' must be a whole number from 1 to \(maxLimit)") }
                query.limit = limit
            default:
                guard let cursor = DeliveryLogCursor(value) else { throw fail("'\(value)' is not a cursor from a previous page") }
                query.cursor = cursor
            }
        }
        return query
    }

    /// Unix milliseconds from a duration back from `now` or an RFC 3339 time.
    private static func since(_ text: String, now: Int64) -> Int64? {
        if let duration = ConfigDuration.parse(text) {
            return now - duration.components.seconds * 1000 - duration.components.attoseconds / 1_000_000_000_000_000
        }
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        }
        return nil
    }
}
