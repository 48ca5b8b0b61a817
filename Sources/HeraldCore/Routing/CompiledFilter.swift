import Glibc

/// A ``WhereExpression`` as the router evaluates it, once per event per candidate route: a tree
/// of nodes whose operands sit in stored properties of their own (the bytes of a prefix, the
/// number of a bound), so that testing an event copies neither the test nor its operand. The
/// config's enum form stays the description of the filter (for `explain` and `check`); walking it
/// per event cost a tenth of decode + route in enum copies and reference counting. Fields are
/// looked up through ``FieldLookups``: once per event however many routes test them.
final class CompiledFilter: Sendable {
    private enum Kind: UInt8 {
        case all, any, not
        case equals, notEquals, oneOf, noneOf, exists, absent
        case greater, greaterOrEqual, less, lessOrEqual
        case prefix, suffix, contains, matches
    }

    private let kind: Kind
    private let children: [CompiledFilter]
    /// The tested field's slot in the ``FieldPaths`` the filter was compiled with.
    private let field: Int
    private let value: JSONValue
    private let values: [JSONValue]
    private let bound: Double
    /// The UTF-8 of a `prefix`, `suffix` or string `contains` operand.
    private let text: [UInt8]
    private let pattern: FieldPattern?

    private init(kind: Kind, children: [CompiledFilter] = [], field: Int = -1, value: JSONValue = .null,
                 values: [JSONValue] = [], bound: Double = 0, text: [UInt8] = [], pattern: FieldPattern? = nil) {
        self.kind = kind
        self.children = children
        self.field = field
        self.value = value
        self.values = values
        self.bound = bound
        self.text = text
        self.pattern = pattern
    }

    convenience init(_ expression: WhereExpression, fields: inout FieldPaths) {
        switch expression {
        case .all(let members): self.init(kind: .all, children: members.map { CompiledFilter($0, fields: &fields) })
        case .any(let members): self.init(kind: .any, children: members.map { CompiledFilter($0, fields: &fields) })
        case .not(let member): self.init(kind: .not, children: [CompiledFilter(member, fields: &fields)])
        case .test(let condition):
            let slot = fields.slot(for: condition.path)
            switch condition.test {
            case .equals(let value): self.init(kind: .equals, field: slot, value: value)
            case .notEquals(let value): self.init(kind: .notEquals, field: slot, value: value)
            case .oneOf(let values): self.init(kind: .oneOf, field: slot, values: values)
            case .noneOf(let values): self.init(kind: .noneOf, field: slot, values: values)
            case .exists(let flag): self.init(kind: flag ? .exists : .absent, field: slot)
            case .greaterThan(let bound): self.init(kind: .greater, field: slot, bound: bound)
            case .greaterThanOrEqual(let bound): self.init(kind: .greaterOrEqual, field: slot, bound: bound)
            case .lessThan(let bound): self.init(kind: .less, field: slot, bound: bound)
            case .lessThanOrEqual(let bound): self.init(kind: .lessOrEqual, field: slot, bound: bound)
            case .prefix(let text): self.init(kind: .prefix, field: slot, text: Array(text.utf8))
            case .suffix(let text): self.init(kind: .suffix, field: slot, text: Array(text.utf8))
            case .contains(let member):
                var text: [UInt8] = []
                if case .string(let needle) = member { text = Array(needle.utf8) }
                self.init(kind: .contains, field: slot, value: member, text: text)
            case .matches(let pattern): self.init(kind: .matches, field: slot, pattern: pattern)
            }
        }
    }

    /// A filter that passes every event (a route without `where`) compiles to nothing.
    static func compile(_ expression: WhereExpression, fields: inout FieldPaths) -> CompiledFilter? {
        if case .all(let members) = expression, members.isEmpty { return nil }
        return CompiledFilter(expression, fields: &fields)
    }

    func matches(_ event: Event, _ lookups: inout FieldLookups) -> Bool {
        switch kind {
        case .all:
            for index in children.indices where !children[index].matches(event, &lookups) { return false }
            return true
        case .any:
            for index in children.indices where children[index].matches(event, &lookups) { return true }
            return false
        case .not:
            return !children[0].matches(event, &lookups)
        default:
            return test(lookups.value(field, in: event))
        }
    }

    private func test(_ found: JSONValue?) -> Bool {
        guard let found else { return kind == .absent || kind == .notEquals || kind == .noneOf }
        switch kind {
        case .exists: return true
        case .absent: return false
        case .equals: return found == value
        case .notEquals: return found != value
        case .oneOf: return values.contains(found)
        case .noneOf: return !values.contains(found)
        case .greater, .greaterOrEqual, .less, .lessOrEqual:
            guard case .number(let json) = found else { return false }
            let number = json.value
            switch kind {
            case .greater: return number > bound
            case .greaterOrEqual: return number >= bound
            case .less: return number < bound
            default: return number <= bound
            }
        case .prefix, .suffix:
            guard case .string(var string) = found else { return false }
            return string.withUTF8 { bytes in
                guard bytes.count >= text.count else { return false }
                let start = kind == .prefix ? 0 : bytes.count - text.count
                return text.withUnsafeBytes { needle in
                    needle.isEmpty || memcmp(bytes.baseAddress! + start, needle.baseAddress!, needle.count) == 0
                }
            }
        case .contains:
            switch found {
            case .string(var string):
                guard case .string = value else { return false }
                return string.withUTF8 { bytes in Self.contains(bytes, text) }
            case .array(let members): return members.contains(value)
            default: return false
            }
        case .matches:
            guard case .string(let string) = found else { return false }
            return pattern!.matches(string)
        case .all, .any, .not:
            return false
        }
    }

    /// Whether `needle` occurs in `haystack`, byte for byte (UTF-8 code units, not characters).
    private static func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        return needle.withUnsafeBufferPointer { needle in
            let first = Int32(needle[0]), base = haystack.baseAddress!
            var start = 0
            let last = haystack.count - needle.count
            while start <= last, let hit = memchr(base + start, first, last - start + 1) {
                let offset = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if memcmp(base + offset, needle.baseAddress!, needle.count) == 0 { return true }
                start = offset + 1
            }
            return false
        }
    }
}

/// The distinct fields a router's filters test, each with its slot.
struct FieldPaths {
    private(set) var paths: [FieldPath] = []
    private var slots: [FieldPath: Int] = [:]

    mutating func slot(for path: FieldPath) -> Int {
        if let slot = slots[path] { return slot }
        paths.append(path)
        slots[path] = paths.count - 1
        return paths.count - 1
    }
}

/// The values of one event's tested fields, each looked up the first time a filter asks.
struct FieldLookups {
    private let paths: [FieldPath]
    /// nil: not looked up yet; .some(nil): the event has no such field.
    private var found: [JSONValue??]

    init(_ fields: FieldPaths) {
        paths = fields.paths
        found = Array(repeating: nil, count: paths.count)
    }

    mutating func value(_ slot: Int, in event: Event) -> JSONValue? {
        if let known = found[slot] { return known }
        let value = event[paths[slot]]
        found[slot] = .some(value)
        return value
    }
}

extension CompiledFilter {
    /// Evaluates `expression` once, on its own (for `explain` and tests; the router keeps its compiled filters).
    static func evaluate(_ expression: WhereExpression, on event: Event) -> Bool {
        var fields = FieldPaths()
        let filter = CompiledFilter(expression, fields: &fields)
        var lookups = FieldLookups(fields)
        return filter.matches(event, &lookups)
    }
}
