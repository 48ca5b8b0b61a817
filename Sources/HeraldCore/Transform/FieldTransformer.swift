/// Applies a route's `pick`, `drop`, `rename` and `set`, in that order, to an event's body.
/// Templates among the `set` values see the event as it is after `rename`.
public enum FieldTransformer {
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        /// Set when a `set` template passed `max_body_bytes`.
        public var tooLarge: BodyTooLarge?
        public var description: String { message }

        public init(message: String, tooLarge: BodyTooLarge? = nil) {
            self.message = message
            self.tooLarge = tooLarge
        }
    }

    /// `limit`: the endpoint's `max_body_bytes`, which all `set` templates together may print.
    public static func apply(
        _ transform: TransformConfig, to body: JSONObject, strict: Bool = false, limit: Int = .max
    ) throws(Failure) -> JSONObject {
        var result = body
        if !transform.pick.isEmpty {
            var picked = JSONValue.object(JSONObject())
            for path in transform.pick {
                if let value = JSONValue.object(body)[path] { try set(value, at: path.segments[...], in: &picked, path: path) }
            }
            guard case .object(let object) = picked else { return result }
            result = object
        }
        var value = JSONValue.object(result)
        for path in transform.drop { remove(path.segments[...], from: &value) }
        for (from, to) in transform.rename {
            guard let moved = value[from] else { continue }
            remove(from.segments[...], from: &value)
            try set(moved, at: to.segments[...], in: &value, path: to)
        }
        // Only templates read the snapshot; holding it otherwise would make every `set` copy the event.
        let snapshot = transform.set.contains { if case .literal = $0.value { false } else { true } } ? value : .null
        var budget = limit
        for (path, template) in transform.set {
            let newValue: JSONValue
            do {
                newValue = try template.render(snapshot, strict: strict, budget: &budget, stage: "set")
            } catch {
                switch error {
                case .missing(let missing): throw Failure(message: TemplateFailure.missingField(missing.path))
                case .tooLarge(let tooLarge):
                    let bound = BodyTooLarge(limit: limit, stage: tooLarge.stage)
                    throw Failure(message: bound.description, tooLarge: bound)
                }
            }
            try set(newValue, at: path.segments[...], in: &value, path: path)
        }
        guard case .object(let object) = value else { return result }
        return object
    }

    /// Sets a value, creating intermediate objects; fails when a step is not an object.
    private static func set(_ newValue: JSONValue, at segments: ArraySlice<String>, in value: inout JSONValue, path: FieldPath) throws(Failure) {
        guard let key = segments.first else {
            value = newValue
            return
        }
        guard case .object(var object) = value else {
            throw Failure(message: "cannot set '\(path)': a parent field is \(value.typeName), not an object")
        }
        var child = object[key] ?? .object(JSONObject())
        if segments.count > 1, case .null = child { child = .object(JSONObject()) }
        try set(newValue, at: segments.dropFirst(), in: &child, path: path)
        object[key] = child
        value = .object(object)
    }

    private static func remove(_ segments: ArraySlice<String>, from value: inout JSONValue) {
        guard let key = segments.first, case .object(var object) = value else { return }
        if segments.count == 1 {
            object[key] = nil
        } else if var child = object[key] {
            remove(segments.dropFirst(), from: &child)
            object[key] = child
        }
        value = .object(object)
    }
}
