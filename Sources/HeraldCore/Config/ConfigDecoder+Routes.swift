extension ConfigDecoder {
    static let routeKeys = ["name", "description", "events", "where", "to", "transform", "template", "body", "strict"]

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
        let conditions = fields["where"].map(decodeWhere) ?? []
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
        return RouteConfig(name: name, events: events, conditions: conditions, to: targets, transform: transform, template: template, body: body, strict: strict)
    }

    private static let operators = ["in", "exists", "gt", "gte", "lt", "lte", "eq"]

    private func decodeWhere(_ node: YAMLNode) -> [WhereCondition] {
        guard case .mapping(let pairs) = node.kind else {
            reader.error("'where' must be a mapping of field paths to values or tests, found \(node.kindName)", at: node.mark)
            return []
        }
        var conditions: [WhereCondition] = []
        for pair in pairs {
            guard let path = reader.fieldPath(pair.key, "a 'where' field") else { continue }
            guard case .mapping = pair.value.kind else {
                if let value = reader.jsonValue(pair.value, "'where' value") {
                    conditions.append(WhereCondition(path: path, test: .equals(value)))
                }
                continue
            }
            guard let tests = reader.fields(pair.value, of: "the test on '\(path)'", allowed: Self.operators) else { continue }
            for op in tests.order {
                guard let operand = tests.nodes[op], let test = decodeTest(op, operand) else { continue }
                conditions.append(WhereCondition(path: path, test: test))
            }
        }
        return conditions
    }

    private func decodeTest(_ op: String, _ node: YAMLNode) -> WhereCondition.Test? {
        switch op {
        case "eq":
            return reader.jsonValue(node, "'eq'").map { .equals($0) }
        case "in":
            guard case .sequence = node.kind, case .array(let values)? = reader.jsonValue(node, "'in'") else {
                reader.error("'in' must be a list of values", at: node.mark)
                return nil
            }
            return .oneOf(values)
        case "exists":
            return reader.bool(node, "'exists'").map { .exists($0) }
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
            return items.compactMap { reader.fieldPath($0, "each entry of '\(key)'") }
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
            guard let from = reader.fieldPath(pair.key, "a 'rename' source"), let to = reader.fieldPath(pair.value, "a 'rename' target") else { return nil }
            return (from, to)
        }
        let set: [(path: FieldPath, value: ValueTemplate)] = pairs("set").compactMap { pair in
            guard let path = reader.fieldPath(pair.key, "a 'set' field"), let value = valueTemplate(pair.value, "a 'set' value") else { return nil }
            return (path, value)
        }
        return TransformConfig(pick: paths("pick"), drop: paths("drop"), rename: rename, set: set)
    }
}
