/// A node of a parsed YAML document that remembers where it came from.
///
/// libyaml resolves no scalar types; `isPlain` tells the loader whether a scalar was quoted,
/// so that `"10"` stays a string while `10` may be read as a number.
public struct YAMLNode: Sendable {
    public enum Kind: Sendable {
        case scalar(String, isPlain: Bool)
        case mapping([YAMLPair])
        case sequence([YAMLNode])
    }

    public var kind: Kind
    public var mark: SourceMark

    public init(_ kind: Kind, at mark: SourceMark) {
        self.kind = kind
        self.mark = mark
    }

    /// The scalar's text, or nil for a collection.
    public var scalar: String? {
        if case .scalar(let text, _) = kind { return text }
        return nil
    }

    /// `true` for an unquoted `~`, `null` or empty scalar.
    public var isNull: Bool {
        if case .scalar(let text, true) = kind { return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL" }
        return false
    }

    /// What a user would call this node's type, for "expected X, found Y" messages.
    public var kindName: String {
        switch kind {
        case .scalar: isNull ? "null" : "a scalar"
        case .mapping: "a mapping"
        case .sequence: "a list"
        }
    }
}

/// One `key: value` entry of a mapping, in document order.
public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode
}
