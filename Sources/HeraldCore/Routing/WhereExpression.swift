/// A route's `where` filter: tests on the event's fields combined with `all`, `any` and `not`,
/// compiled once when the config is loaded. A `where` mapping is the `all` of its entries.
public indirect enum WhereExpression: Sendable, Equatable {
    case test(WhereCondition)
    /// Every member matches (the empty list matches every event).
    case all([WhereExpression])
    /// At least one member matches (the empty list matches none).
    case any([WhereExpression])
    case not(WhereExpression)

    /// The filter of a route without `where`.
    public static let always = WhereExpression.all([])

    /// Whether `event` passes (the router evaluates a ``CompiledFilter`` of it instead).
    public func matches(_ event: Event) -> Bool {
        CompiledFilter.evaluate(self, on: event)
    }

    /// Why `event` does not pass, naming the failed tests and the values the event had (for
    /// `herald explain`); nil when it passes.
    public func failure(_ event: Event) -> String? {
        switch self {
        case .test(let condition):
            return condition.matches(event) ? nil : "\(condition) failed: \(condition.observed(in: event))"
        case .all(let members):
            return members.lazy.compactMap { $0.failure(event) }.first
        case .any(let members):
            guard !members.contains(where: { $0.matches(event) }) else { return nil }
            if members.isEmpty { return "'any' of nothing never matches" }
            return "none of 'any' matched (" + members.compactMap { $0.failure(event) }.joined(separator: "; ") + ")"
        case .not(let member):
            return member.matches(event) ? "'not' failed: \(member) matched" : nil
        }
    }

    /// How deep `all`/`any`/`not` may nest: far beyond any real filter, and a bound on the
    /// recursion that evaluating one costs.
    public static let maxDepth = 32
}

extension WhereExpression: CustomStringConvertible {
    public var description: String {
        switch self {
        case .test(let condition): condition.description
        case .all(let members): members.count == 1 ? members[0].description : "all(" + members.map(\.description).joined(separator: ", ") + ")"
        case .any(let members): "any(" + members.map(\.description).joined(separator: ", ") + ")"
        case .not(let member): "not(\(member))"
        }
    }
}
