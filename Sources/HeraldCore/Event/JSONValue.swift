/// A parsed JSON value. Objects keep their key order and numbers keep their exact text,
/// so that re-encoding a transformed event changes only what the transform changed.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The value at a dotted path; array elements are addressed by index (`items.0.sku`).
    public subscript(path: FieldPath) -> JSONValue? {
        Self.value(at: path.segments[...], below: self)
    }

    /// The value at `segments` below `start`.
    fileprivate static func value(at segments: ArraySlice<String>, below start: JSONValue) -> JSONValue? {
        var current = start
        for segment in segments {
            switch current {
            case .object(let object):
                guard let next = object[segment] else { return nil }
                current = next
            case .array(let items):
                guard let index = Int(segment), items.indices.contains(index) else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }

    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON number with its source text; compared by value.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    public var text: String

    public init(text: String) { self.text = text }
    public init(_ value: Double) {
        text = value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    public var value: Double { Double(text) ?? .nan }
    public var description: String { text }

    public static func == (lhs: JSONNumber, rhs: JSONNumber) -> Bool { lhs.text == rhs.text || lhs.value == rhs.value }
    public func hash(into hasher: inout Hasher) { hasher.combine(value) }
}

/// A JSON object as an ordered list of fields (events are small: a linear scan beats hashing).
public struct JSONObject: Sendable, Equatable {
    public var fields: [JSONField]

    public init(_ fields: [JSONField] = []) { self.fields = fields }

    /// The value at a dotted path below this object, as ``JSONValue/subscript(path:)`` finds it,
    /// without wrapping the object in a value first.
    public func value(at path: FieldPath) -> JSONValue? {
        guard let first = path.segments.first, let top = self[first] else { return nil }
        return path.segments.count == 1 ? top : JSONValue.value(at: path.segments.dropFirst(), below: top)
    }

    public subscript(key: String) -> JSONValue? {
        get {
            // By index: `for field in fields` would copy (retain and release) every field it passes.
            for index in fields.indices where fields[index].key == key { return fields[index].value }
            return nil
        }
        set {
            if let index = fields.firstIndex(where: { $0.key == key }) {
                if let newValue { fields[index].value = newValue } else { fields.remove(at: index) }
            } else if let newValue {
                fields.append(JSONField(key: key, value: newValue))
            }
        }
    }
}

public struct JSONField: Sendable, Equatable {
    public var key: String
    public var value: JSONValue

    public init(key: String, value: JSONValue) {
        self.key = key
        self.value = value
    }
}
