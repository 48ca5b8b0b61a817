/// One test on one field of the event: the leaf of a route's ``WhereExpression``.
public struct WhereCondition: Sendable, Equatable, CustomStringConvertible {
    public enum Test: Sendable, Equatable {
        /// The field equals this value (numbers by value, strings exactly).
        case equals(JSONValue)
        /// The field is absent or differs from this value.
        case notEquals(JSONValue)
        /// The field equals one of these values.
        case oneOf([JSONValue])
        /// The field is absent or equals none of these values.
        case noneOf([JSONValue])
        /// The field is present (`true`) or absent (`false`); `null` counts as present.
        case exists(Bool)
        case greaterThan(Double)
        case greaterThanOrEqual(Double)
        case lessThan(Double)
        case lessThanOrEqual(Double)
        /// The field is a string that starts with this text.
        case prefix(String)
        /// The field is a string that ends with this text.
        case suffix(String)
        /// The field is a string holding this text, or an array with this value as a member.
        case contains(JSONValue)
        /// The field is a string in which the pattern matches somewhere (not anchored).
        case matches(FieldPattern)
    }

    public var path: FieldPath
    public var test: Test

    public init(path: FieldPath, test: Test) {
        self.path = path
        self.test = test
    }

    /// Whether `event` passes this test (evaluated as the router does; see ``CompiledFilter``).
    public func matches(_ event: Event) -> Bool {
        CompiledFilter.evaluate(.test(self), on: event)
    }

    /// What the event has at the path, for explaining a failed test.
    func observed(in event: Event) -> String {
        guard let value = event[path] else { return "the event has no \(path)" }
        let text = JSONWriter.encode(value)
        return "\(path) is \(text.count > 120 ? String(text.prefix(117)) + "..." : text)"
    }

    public var description: String {
        switch test {
        case .equals(let value): "\(path) == \(JSONWriter.encode(value))"
        case .notEquals(let value): "\(path) != \(JSONWriter.encode(value))"
        case .oneOf(let values): "\(path) in \(JSONWriter.encode(.array(values)))"
        case .noneOf(let values): "\(path) not in \(JSONWriter.encode(.array(values)))"
        case .exists(let flag): flag ? "\(path) exists" : "\(path) is absent"
        case .greaterThan(let bound): "\(path) > \(JSONNumber(bound))"
        case .greaterThanOrEqual(let bound): "\(path) >= \(JSONNumber(bound))"
        case .lessThan(let bound): "\(path) < \(JSONNumber(bound))"
        case .lessThanOrEqual(let bound): "\(path) <= \(JSONNumber(bound))"
        case .prefix(let text): "\(path) starts with \(JSONWriter.encode(.string(text)))"
        case .suffix(let text): "\(path) ends with \(JSONWriter.encode(.string(text)))"
        case .contains(let value): "\(path) contains \(JSONWriter.encode(value))"
        case .matches(let pattern): "\(path) matches /\(pattern.source)/"
        }
    }
}
