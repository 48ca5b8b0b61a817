/// A JSON structure from the config whose strings may be templates: a route's `body`, and each
/// `set` value. A string that is exactly one `{{path}}` takes that field's value with its JSON
/// type; other strings containing `{{` render as text; everything else is kept as written.
public indirect enum ValueTemplate: Sendable {
    case literal(JSONValue)
    case field(FieldPath)
    case text(PayloadTemplate)
    case object([(key: String, value: ValueTemplate)])
    case array([ValueTemplate])

    /// Why a value could not render: a template named a missing field under `strict: true`.
    public struct Missing: Error, Sendable {
        public var path: String
    }

    /// Why a value could not render.
    public enum Failure: Error, Sendable {
        case missing(Missing)
        case tooLarge(BodyTooLarge)
    }

    /// The single field a string names when it is only `{{path}}`, `{{{path}}}` or `{{&path}}`.
    static func wholeField(_ text: String) -> FieldPath? {
        guard text.hasPrefix("{{"), text.hasSuffix("}}"), text.count > 4 else { return nil }
        var inner = text.dropFirst(2).dropLast(2)
        if inner.hasPrefix("{"), inner.hasSuffix("}") {
            inner = inner.dropFirst().dropLast()
        } else if inner.hasPrefix("&") {
            inner = inner.dropFirst()
        }
        let name = inner.trimmingCharacters(in: " \t")
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." || $0 == "$" || $0 == "@" }) else { return nil }
        return FieldPath(name)
    }

    /// Whether rendering can change anything: a literal needs no context.
    public var isLiteral: Bool {
        switch self {
        case .literal: true
        case .field, .text: false
        case .object(let fields): fields.allSatisfy(\.value.isLiteral)
        case .array(let items): items.allSatisfy(\.isLiteral)
        }
    }

    /// The value for a context; a missing field is null (or `""` inside text) unless `strict`.
    /// The text its templates print is counted against `budget` (bytes left of `max_body_bytes`):
    /// past it, ``Failure/tooLarge(_:)``. Fields taken whole share
    /// the event's storage and cost nothing here; the format's encoder bounds what they become.
    public func render(_ context: JSONValue, strict: Bool, budget: inout Int, stage: String) throws(Failure) -> JSONValue {
        switch self {
        case .literal(let value):
            return value
        case .field(let path):
            if let value = context[path] { return value }
            if strict { throw .missing(Missing(path: path.description)) }
            return .null
        case .text(let template):
            let limit = budget
            let rendered = template.render(context, limit: limit)
            if rendered.tooLarge { throw .tooLarge(BodyTooLarge(limit: limit, stage: stage)) }
            budget -= rendered.text.utf8.count
            if strict, let missing = rendered.missing { throw .missing(Missing(path: missing)) }
            return .string(rendered.text)
        case .object(let fields):
            var object = JSONObject()
            for field in fields { object[field.key] = try field.value.render(context, strict: strict, budget: &budget, stage: stage) }
            return .object(object)
        case .array(let items):
            var values: [JSONValue] = []
            for item in items { values.append(try item.render(context, strict: strict, budget: &budget, stage: stage)) }
            return .array(values)
        }
    }
}

private extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var result = self
        while let first = result.first, set.contains(first) { result = result.dropFirst() }
        while let last = result.last, set.contains(last) { result = result.dropLast() }
        return result
    }
}

private extension FieldPath {
    init?(_ text: Substring) { self.init(String(text)) }
}
