/// One test of a route's `where` filter on a field of the event; a route's conditions are ANDed.
public struct WhereCondition: Sendable, Equatable, CustomStringConvertible {
    public enum Test: Sendable, Equatable {
        /// The field equals this value (numbers by value, strings exactly).
        case equals(JSONValue)
        /// The field equals one of these values.
        case oneOf([JSONValue])
        /// The field is present (`true`) or absent (`false`); `null` counts as present.
        case exists(Bool)
        case greaterThan(Double)
        case greaterThanOrEqual(Double)
        case lessThan(Double)
        case lessThanOrEqual(Double)
    }

    public var path: FieldPath
    public var test: Test

    public init(path: FieldPath, test: Test) {
        self.path = path
        self.test = test
    }

    public func matches(_ event: Event) -> Bool {
        let value = event[path]
        switch test {
        case .exists(let expected): return (value != nil) == expected
        case .equals(let expected): return value.map { Self.equal($0, expected) } ?? false
        case .oneOf(let options): return value.map { value in options.contains { Self.equal(value, $0) } } ?? false
        case .greaterThan(let bound): return Self.number(value).map { $0 > bound } ?? false
        case .greaterThanOrEqual(let bound): return Self.number(value).map { $0 >= bound } ?? false
        case .lessThan(let bound): return Self.number(value).map { $0 < bound } ?? false
        case .lessThanOrEqual(let bound): return Self.number(value).map { $0 <= bound } ?? false
        }
    }

    private static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool { a == b }

    private static func number(_ value: JSONValue?) -> Double? {
        if case .number(let number)? = value { return number.value }
        return nil
    }

    public var description: String {
        switch test {
        case .equals(let value): "\(path) == \(JSONWriter.encode(value))"
        case .oneOf(let values): "\(path) in \(JSONWriter.encode(.array(values)))"
        case .exists(let flag): flag ? "\(path) exists" : "\(path) is absent"
        case .greaterThan(let bound): "\(path) > \(JSONNumber(bound))"
        case .greaterThanOrEqual(let bound): "\(path) >= \(JSONNumber(bound))"
        case .lessThan(let bound): "\(path) < \(JSONNumber(bound))"
        case .lessThanOrEqual(let bound): "\(path) <= \(JSONNumber(bound))"
        }
    }
}
