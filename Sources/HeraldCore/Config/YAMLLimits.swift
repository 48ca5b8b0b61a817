/// Bounds on what one config document may expand to, checked on libyaml's event stream so a
/// hostile file is refused before its tree is built: a deep `[[[[…` would otherwise recurse
/// through every stage after parsing, and an alias bomb ("billion laughs") turns a few hundred
/// bytes into gigabytes once aliases are copied out.
public struct YAMLLimits: Sendable, Equatable {
    /// Deepest nesting of mappings and lists; a real config needs well under 10.
    public var maxDepth: Int
    /// Nodes in the document with every alias counted as the whole node it stands for.
    public var maxNodes: Int
    /// Bytes of scalar text with every alias counted as the text it stands for.
    public var maxScalarBytes: Int

    public init(maxDepth: Int = 64, maxNodes: Int = 100_000, maxScalarBytes: Int = 16 << 20) {
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
        self.maxScalarBytes = maxScalarBytes
    }

    public static let standard = YAMLLimits()
}
