import Mustache

/// The first field a render looked up and did not find, for `strict: true`.
final class TemplateMisses {
    private(set) var first: String?
    /// The node returned by the latest lookup: a lookup on it next continues a dotted path.
    weak var lastReturned: TemplateNode?

    func record(_ path: String) {
        if first == nil { first = path }
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

    var renderText: String {
        switch value {
        case nil:
            misses.record(path)
            return ""
        case .string(let text)?: return text
        case .number(let number)?: return number.text
        case .bool(let flag)?: return flag ? "true" : "false"
        case .null?: return ""
        case let composite?: return JSONWriter.encode(composite)
        }
    }

    var isNull: Bool {
        switch value {
        case nil, .null?: true
        default: false
        }
    }

    func makeIterator() -> IndexingIterator<[TemplateScope]> {
        isContext = true
        misses.lastReturned = nil
        switch value {
        case nil, .null?, .bool(false)?: return [].makeIterator()
        case .string(let text)? where text.isEmpty: return [].makeIterator()
        case .array(let items)?:
            return items.indices.map { TemplateScope(TemplateNode(items[$0], parent: self, key: String($0))) }.makeIterator()
        default: return [TemplateScope(self)].makeIterator()
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
