import Mustache

/// What one render keeps track of: the first field it looked up and did not find (for
/// `strict: true`), and the bytes it may still produce (`max_body_bytes`).
final class TemplateMisses {
    private(set) var first: String?
    /// The node returned by the latest lookup: a lookup on it next continues a dotted path.
    weak var lastReturned: TemplateNode?
    /// Bytes left before the output passes the bound; below 0 once it has.
    private(set) var remaining: Int
    /// What one pass through a section's body costs at most in literal text, by the section's
    /// name (its last dotted component), and for a name not in the table.
    let sectionCost: (byName: [String: Int], otherwise: Int)

    init(limit: Int = .max, sectionCost: (byName: [String: Int], otherwise: Int) = ([:], 0)) {
        remaining = limit
        self.sectionCost = sectionCost
    }

    var exceeded: Bool { remaining < 0 }

    func record(_ path: String) {
        if first == nil { first = path }
    }

    /// Counts `bytes` of output; false once the bound is passed.
    func charge(_ bytes: Int) -> Bool {
        remaining = remaining < bytes ? -1 : remaining - bytes
        return !exceeded
    }
}

/// A JSON value as swift-mustache sees it: objects answer field lookups (and array indices),
/// every value iterates as a section (empty when falsy), and `{{x}}` prints strings as they are,
/// numbers as written and objects or arrays as compact JSON.
///
/// A lookup that finds nothing is told apart from a context-stack search so that `strict: true`
/// can name the missing field: a node freshly returned by a lookup answers a missing key with a
/// ``TemplateNode`` marked missing (which records the miss when printed), while a node that is a
/// section's context answers nil so the search moves down the stack, as Mustache requires.
final class TemplateNode: MustacheParent, MustacheSequence, MustacheCustomRenderable, MustacheTransformable {
    let value: JSONValue?
    private let parent: TemplateNode?
    private let key: String
    private let misses: TemplateMisses
    private let isRoot: Bool
    /// Set once a section iterates this node: from then on it is a context on the stack.
    private var isContext = false

    init(root value: JSONValue, misses: TemplateMisses) {
        self.value = value
        parent = nil
        key = ""
        self.misses = misses
        isRoot = true
    }

    private init(_ value: JSONValue?, parent: TemplateNode, key: String) {
        self.value = value
        self.parent = parent
        self.key = key
        misses = parent.misses
        isRoot = false
    }

    /// The dotted path of this node from the root.
    var path: String {
        guard let parent, !parent.isRoot else { return key }
        return parent.path + "." + key
    }

    func child(named name: String) -> Any? {
        let found: JSONValue?
        switch value {
        case .object(let object)?: found = object[name]
        case .array(let items)?: found = Int(name).flatMap { items.indices.contains($0) ? items[$0] : nil }
        default: found = nil
        }
        let continuing = isRoot || (!isContext && misses.lastReturned === self)
        guard let found else {
            guard continuing else { return nil }
            let missing = TemplateNode(nil, parent: self, key: name)
            misses.lastReturned = missing
            return missing
        }
        let node = TemplateNode(found, parent: self, key: name)
        misses.lastReturned = node
        return node
    }

    /// The value's text, counted against the render's bound; nothing once the bound is passed.
    var renderText: String {
        guard !misses.exceeded else { return "" }
        let text: String
        switch value {
        case nil:
            misses.record(path)
            return ""
        case .string(let string)?: text = string
        case .number(let number)?: text = number.text
        case .bool(let flag)?: text = flag ? "true" : "false"
        case .null?: return ""
        case let composite?:
            guard let bytes = try? JSONWriter.encodeBytes(composite, limit: Swift.max(misses.remaining, 0)) else {
                _ = misses.charge(.max)
                return ""
            }
            text = String(decoding: bytes, as: UTF8.self)
        }
        return misses.charge(text.utf8.count) ? text : ""
    }

    var isNull: Bool {
        switch value {
        case nil, .null?: true
        default: false
        }
    }

    func makeIterator() -> Iterator {
        isContext = true
        misses.lastReturned = nil
        let count: Int
        switch value {
        case nil, .null?, .bool(false)?: count = 0
        case .string(let text)? where text.isEmpty: count = 0
        case .array(let items)?: count = items.count
        default: count = 1
        }
        return Iterator(node: self, count: count, cost: misses.sectionCost.byName[key] ?? misses.sectionCost.otherwise)
    }

    /// A section's passes, made one at a time and each charged what its body's text may cost,
    /// so that a section over a large array stops at the render's bound instead of running on.
    struct Iterator: IteratorProtocol {
        let node: TemplateNode
        let count: Int
        let cost: Int
        var index = 0

        mutating func next() -> TemplateScope? {
            guard index < count, node.misses.charge(cost) else { return nil }
            defer { index += 1 }
            guard case .array(let items)? = node.value else { return TemplateScope(node) }
            return TemplateScope(TemplateNode(items[index], parent: node, key: String(index)))
        }
    }

    func transform(_ name: String) -> Any? {
        switch value {
        case .string(let text)?: return text.transform(name)
        case .array(let items)?:
            switch name {
            case "count": return items.count
            case "empty": return items.isEmpty
            case "first": return items.first.map { TemplateNode($0, parent: self, key: "0") }
            case "last": return items.last.map { TemplateNode($0, parent: self, key: String(items.count - 1)) }
            default: return nil
            }
        default: return nil
        }
    }
}

/// A value as the context of a section: a lookup that misses here moves down the stack.
final class TemplateScope: MustacheParent, MustacheCustomRenderable {
    let node: TemplateNode

    init(_ node: TemplateNode) { self.node = node }

    func child(named name: String) -> Any? {
        switch node.value {
        case .object(let object)? where object[name] != nil: return node.child(named: name)
        case .array(let items)? where Int(name).map(items.indices.contains) == true: return node.child(named: name)
        default: return nil
        }
    }

    var renderText: String { node.renderText }
    var isNull: Bool { node.isNull }
}
