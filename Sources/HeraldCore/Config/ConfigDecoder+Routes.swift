extension ConfigDecoder {
    static let routeKeys = ["name", "description", "events", "where", "to", "transform", "template", "body", "strict", "trace_field"]

    func decodeRoutes(_ node: YAMLNode?, endpointNames: [String]) -> [RouteConfig]? {
        guard let node else { return nil }
        guard case .sequence(let items) = node.kind else {
            reader.error("'routes' must be a list of routes, found \(node.kindName)", at: node.mark)
            return nil
        }
        var names: [String: SourceMark] = [:]
        var routes: [RouteConfig] = []
        for item in items {
            guard let route = decodeRoute(item, endpointNames: endpointNames) else { continue }
            if let first = names[route.name] {
                reader.error("duplicate route name '\(route.name)' (first used at \(first))", at: item.mark)
                continue
            }
            names[route.name] = item.mark
            routes.append(route)
        }
        return routes
    }

    private func decodeRoute(_ node: YAMLNode, endpointNames: [String]) -> RouteConfig? {
        guard let fields = reader.fields(node, of: "a route", allowed: Self.routeKeys, required: ["name", "events", "to"]) else { return nil }
        let name = fields["name"].flatMap { reader.string($0, "'name'") }
        var events: [EventPattern] = []
        for (text, mark) in fields["events"].flatMap({ reader.strings($0, "'events'") }) ?? [] {
            if let problem = EventPattern.problem(with: text) {
                reader.error(problem, at: mark)
            } else if let pattern = EventPattern(text) {
                events.append(pattern)
            }
        }
        var targets: [String] = []
        for (target, mark) in fields["to"].flatMap({ reader.strings($0, "'to'") }) ?? [] {
            if endpointNames.contains(target) {
                targets.append(target)
            } else {
                reader.error("route '\(name ?? "?")' sends to unknown endpoint '\(target)'", at: mark,
                             suggestion: Suggestion.closest(to: target, in: endpointNames).map { "did you mean '\($0)'?" })
            }
        }
        let filter = fields["where"].map { decodeWhere($0) ?? .always } ?? .always
        let transform = fields["transform"].flatMap(decodeTransform)
        let template = fields["template"].flatMap(compileTemplate)
        let body = fields["body"].flatMap { valueTemplate($0, "'body'") }
        let strict = fields["strict"].flatMap { reader.bool($0, "'strict'") } ?? false
        if fields["template"] != nil, fields["body"] != nil {
            reader.error("a route takes 'template' (text) or 'body' (a structure), not both", at: fields.keyMarks["body"])
        }
        if let name, !Self.isValidName(name) {
            reader.error("route names are letters, digits, '-', '_' and '.'", at: fields["name"]?.mark)
        }
        guard let name, !events.isEmpty, !targets.isEmpty else { return nil }
        var route = RouteConfig(name: name, events: events, filter: filter, to: targets, transform: transform, template: template, body: body, strict: strict)
        route.traceField = fields["trace_field"].flatMap { reader.fieldPath($0, "'trace_field'") }
        return route
    }

    private static let operators = [
        "eq", "ne", "in", "not_in", "exists", "gt", "gte", "lt", "lte", "prefix", "suffix", "contains", "matches",
    ]
    /// Keys of a `where` mapping that combine filters instead of naming a field.
    static let combinators = ["all", "any", "not"]

    /// A `where` mapping: the `all` of its entries, each a field test or a combinator.
    private func decodeWhere(_ node: YAMLNode, depth: Int = 1) -> WhereExpression? {
        guard case .mapping(let pairs) = node.kind else {
            reader.error("'where' must be a mapping of field paths to values or tests, found \(node.kindName)", at: node.mark)
            return nil
        }
        guard depth <= WhereExpression.maxDepth else {
            reader.error("'where' nests deeper than \(WhereExpression.maxDepth) levels of all/any/not", at: node.mark)
            return nil
        }
        var members: [WhereExpression] = []
        var valid = true
        for pair in pairs {
            if let word = pair.key.scalar, Self.combinators.contains(word) {
                guard let member = decodeCombinator(word, pair.value, depth: depth) else {
                    valid = false
                    continue
                }
                members.append(member)
                continue
            }
            guard let path = reader.fieldPath(pair.key, "a 'where' field") else {
                valid = false
                continue
            }
            guard case .mapping = pair.value.kind else {
                if let value = reader.jsonValue(pair.value, "'where' value") {
                    members.append(.test(WhereCondition(path: path, test: .equals(value))))
                } else {
                    valid = false
                }
                continue
            }
            guard let tests = reader.fields(pair.value, of: "the test on '\(path)'", allowed: Self.operators) else {
                valid = false
                continue
            }
            for op in tests.order {
                guard let operand = tests.nodes[op], let test = decodeTest(op, operand) else {
                    valid = false
                    continue
                }
                members.append(.test(WhereCondition(path: path, test: test)))
            }
        }
        guard valid else { return nil }
        return members.count == 1 ? members[0] : .all(members)
    }

    /// `all: [filters]`, `any: [filters]` or `not: filter`, where each filter is a `where` mapping.
    private func decodeCombinator(_ word: String, _ node: YAMLNode, depth: Int) -> WhereExpression? {
        if word == "not" {
            guard case .mapping = node.kind else {
                reader.error("'not' takes one filter (a mapping like a 'where'), found \(node.kindName)", at: node.mark)
                return nil
            }
            return decodeWhere(node, depth: depth + 1).map { .not($0) }
        }
        guard case .sequence(let items) = node.kind, !items.isEmpty else {
            reader.error("'\(word)' takes a non-empty list of filters (each a mapping like a 'where'), found \(node.kindName)", at: node.mark)
            return nil
        }
        // Every entry is decoded, so that `check` reports each bad one.
        let members = items.map { item -> WhereExpression? in
            guard case .mapping = item.kind else {
                reader.error("each entry of '\(word)' is a filter (a mapping like a 'where'), found \(item.kindName)", at: item.mark)
                return nil
            }
            return decodeWhere(item, depth: depth + 1)
        }
        guard case let valid = members.compactMap({ $0 }), valid.count == members.count else { return nil }
        return word == "all" ? .all(valid) : .any(valid)
    }

    private func decodeTest(_ op: String, _ node: YAMLNode) -> WhereCondition.Test? {
        func list() -> [JSONValue]? {
            guard case .sequence = node.kind, case .array(let values)? = reader.jsonValue(node, "'\(op)'") else {
                reader.error("'\(op)' must be a list of values", at: node.mark)
                return nil
            }
            return values
        }
        func text() -> String? {
            guard case .string(let text)? = reader.jsonValue(node, "'\(op)'") else {
                reader.error("'\(op)' must be a string", at: node.mark)
                return nil
            }
            return text
        }
        switch op {
        case "eq":
            return reader.jsonValue(node, "'eq'").map { .equals($0) }
        case "ne":
            return reader.jsonValue(node, "'ne'").map { .notEquals($0) }
        case "in":
            return list().map { .oneOf($0) }
        case "not_in":
            return list().map { .noneOf($0) }
        case "exists":
            return reader.bool(node, "'exists'").map { .exists($0) }
        case "prefix":
            return text().map { .prefix($0) }
        case "suffix":
            return text().map { .suffix($0) }
        case "contains":
            return reader.jsonValue(node, "'contains'").map { .contains($0) }
        case "matches":
            guard let source = text() else { return nil }
            do {
                return .matches(try FieldPattern(source))
            } catch {
                reader.error("'matches' is not a valid regular expression: \(error)", at: node.mark)
                return nil
            }
        default:
            guard case .number(let number)? = reader.jsonValue(node, "'\(op)'") else {
                reader.error("'\(op)' must be a number", at: node.mark)
                return nil
            }
            let bound = number.value
            switch op {
            case "gt": return .greaterThan(bound)
            case "gte": return .greaterThanOrEqual(bound)
            case "lt": return .lessThan(bound)
            default: return .lessThanOrEqual(bound)
            }
        }
    }

    private func decodeTransform(_ node: YAMLNode) -> TransformConfig? {
        guard let fields = reader.fields(node, of: "'transform'", allowed: ["pick", "drop", "rename", "set"]) else { return nil }
        func paths(_ key: String) -> [FieldPath] {
            guard let node = fields[key] else { return [] }
            guard case .sequence(let items) = node.kind else {
                reader.error("'\(key)' must be a list of field paths", at: node.mark)
                return []
            }
            return items.compactMap { changeable($0, "each entry of '\(key)'") }
        }
        // Metadata is tested and put in url and header templates, never picked, dropped or renamed.
        func changeable(_ node: YAMLNode, _ what: String) -> FieldPath? {
            guard let path = reader.fieldPath(node, what) else { return nil }
            guard path.metadata == nil else {
                reader.error("\(what): '\(path)' is metadata, not a field of the event: test it in 'where', use it in url and header templates", at: node.mark)
                return nil
            }
            return path
        }
        func pairs(_ key: String) -> [YAMLPair] {
            guard let node = fields[key] else { return [] }
            guard case .mapping(let pairs) = node.kind else {
                reader.error("'\(key)' must be a mapping", at: node.mark)
                return []
            }
            return pairs
        }
        let rename: [(from: FieldPath, to: FieldPath)] = pairs("rename").compactMap { pair in
            guard let from = changeable(pair.key, "a 'rename' source"), let to = changeable(pair.value, "a 'rename' target") else { return nil }
            return (from, to)
        }
        let set: [(path: FieldPath, value: ValueTemplate)] = pairs("set").compactMap { pair in
            guard let path = changeable(pair.key, "a 'set' field"), let value = valueTemplate(pair.value, "a 'set' value") else { return nil }
            return (path, value)
        }
        return TransformConfig(pick: paths("pick"), drop: paths("drop"), rename: rename, set: set)
    }
}
