import CYAML

/// A YAML syntax error at a position, worded like libyaml's own messages.
public struct YAMLSyntaxError: Error, Sendable {
    public var message: String
    public var mark: SourceMark
}

/// Parses one YAML document into a `YAMLNode` tree with line and column marks, on libyaml.
///
/// Aliases are resolved to copies of their anchored node; `<<` merge keys are expanded by
/// the parser so that config decoding never sees them. ``YAMLLimits`` are enforced event by
/// event, so parsing stops at the first node past a limit.
public enum YAMLParser {
    public static func parse(_ text: String, limits: YAMLLimits = .standard) throws(YAMLSyntaxError) -> YAMLNode? {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { bytes = [0x0A] }
        // libyaml keeps a pointer to the parser inside the parser: it needs a stable heap address.
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            throw YAMLSyntaxError(message: "out of memory initialising the YAML parser", mark: SourceMark(line: 1, column: 1))
        }
        defer { yaml_parser_delete(parser) }
        return try bytes.withUnsafeBufferPointer { buffer throws(YAMLSyntaxError) in
            yaml_parser_set_input_string(parser, buffer.baseAddress, buffer.count)
            var builder = TreeBuilder(limits: limits)
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(parser, &event) == 1 else {
                    throw syntaxError(parser.pointee)
                }
                defer { yaml_event_delete(&event) }
                let done = event.type == YAML_STREAM_END_EVENT
                if let error = builder.consume(event) { throw error }
                if done { break }
            }
            return builder.document
        }
    }

    private static func syntaxError(_ parser: yaml_parser_t) -> YAMLSyntaxError {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        let mark = SourceMark(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
        var message = problem
        if let context = parser.context.map({ String(cString: $0) }) {
            let opened = SourceMark(line: Int(parser.context_mark.line) + 1, column: Int(parser.context_mark.column) + 1)
            message = "\(context) (opened at \(opened)): \(problem)"
        }
        return YAMLSyntaxError(message: message, mark: mark)
    }
}

/// Builds the node tree from libyaml events with reference-typed frames (value-typed frames
/// would copy their arrays on every append).
private struct TreeBuilder {
    final class Frame {
        let isMapping: Bool
        let mark: SourceMark
        let anchor: String?
        var items: [YAMLNode] = []
        /// What this node expands to, itself and its children (aliases counted in full).
        var size = Size(nodes: 1, bytes: 0)
        init(isMapping: Bool, mark: SourceMark, anchor: String?) {
            self.isMapping = isMapping
            self.mark = mark
            self.anchor = anchor
        }
    }

    /// Nodes and scalar bytes, the two measures of ``YAMLLimits``.
    struct Size {
        var nodes: Int
        var bytes: Int

        static func + (a: Size, b: Size) -> Size {
            // Saturating: an alias of an alias of … doubles each level and must not trap.
            Size(nodes: a.nodes.addingReportingOverflow(b.nodes).overflow ? .max : a.nodes + b.nodes,
                 bytes: a.bytes.addingReportingOverflow(b.bytes).overflow ? .max : a.bytes + b.bytes)
        }
    }

    let limits: YAMLLimits
    var stack: [Frame] = []
    var anchors: [String: (node: YAMLNode, size: Size)] = [:]
    var document: YAMLNode?
    /// The whole document so far, aliases expanded.
    var total = Size(nodes: 0, bytes: 0)

    init(limits: YAMLLimits) { self.limits = limits }

    mutating func consume(_ event: yaml_event_t) -> YAMLSyntaxError? {
        let mark = SourceMark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
        switch event.type {
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self)
            let node = YAMLNode(.scalar(text, isPlain: data.style == YAML_PLAIN_SCALAR_STYLE), at: mark)
            return add(node, size: Size(nodes: 1, bytes: data.length), anchor: string(data.anchor), at: mark)
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            guard stack.count < limits.maxDepth else {
                return YAMLSyntaxError(message: "lists and mappings are nested more than \(limits.maxDepth) levels deep", mark: mark)
            }
            if let error = grow(by: Size(nodes: 1, bytes: 0), at: mark) { return error }
            let isMapping = event.type == YAML_MAPPING_START_EVENT
            let anchor = isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor
            stack.append(Frame(isMapping: isMapping, mark: mark, anchor: string(anchor)))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            let frame = stack.removeLast()
            let node: YAMLNode
            if frame.isMapping {
                var pairs: [YAMLPair] = []
                var merges: [YAMLNode] = []
                pairs.reserveCapacity(frame.items.count / 2)
                var index = 0
                while index + 1 < frame.items.count {
                    let key = frame.items[index], value = frame.items[index + 1]
                    if case .scalar("<<", true) = key.kind, value.scalar == nil {
                        merges.append(value)
                    } else {
                        pairs.append(YAMLPair(key: key, value: value))
                    }
                    index += 2
                }
                pairs.append(contentsOf: Self.mergePairs(merges, into: pairs))
                node = YAMLNode(.mapping(pairs), at: frame.mark)
            } else {
                node = YAMLNode(.sequence(frame.items), at: frame.mark)
            }
            // Counted into the total when it started and as its children arrived.
            return attach(node, size: frame.size, anchor: frame.anchor)
        case YAML_ALIAS_EVENT:
            let name = string(event.data.alias.anchor) ?? ""
            guard var target = anchors[name] else {
                return YAMLSyntaxError(message: "unknown alias '*\(name)'", mark: mark)
            }
            target.node.mark = mark
            return add(target.node, size: target.size, anchor: nil, at: mark)
        default:
            break
        }
        return nil
    }

    /// Keys from `<<` merges that the mapping does not define itself; earlier merges win.
    private static func mergePairs(_ values: [YAMLNode], into existing: [YAMLPair]) -> [YAMLPair] {
        var seen = Set(existing.compactMap { $0.key.scalar })
        var merged: [YAMLPair] = []
        for value in values {
            let sources: [YAMLNode]
            switch value.kind {
            case .sequence(let items): sources = items
            default: sources = [value]
            }
            for source in sources {
                guard case .mapping(let pairs) = source.kind else { continue }
                for pair in pairs where !seen.contains(pair.key.scalar ?? "") {
                    seen.insert(pair.key.scalar ?? "")
                    merged.append(pair)
                }
            }
        }
        return merged
    }

    /// A scalar or alias: counted against the limits, then attached.
    private mutating func add(_ node: YAMLNode, size: Size, anchor: String?, at mark: SourceMark) -> YAMLSyntaxError? {
        if let error = grow(by: size, at: mark) { return error }
        return attach(node, size: size, anchor: anchor)
    }

    private mutating func attach(_ node: YAMLNode, size: Size, anchor: String?) -> YAMLSyntaxError? {
        if let anchor { anchors[anchor] = (node, size) }
        if let top = stack.last {
            top.items.append(node)
            top.size = top.size + size
        } else if document == nil {
            document = node
        }
        return nil
    }

    private mutating func grow(by size: Size, at mark: SourceMark) -> YAMLSyntaxError? {
        total = total + size
        if total.nodes > limits.maxNodes {
            return YAMLSyntaxError(message: "the document expands to more than \(limits.maxNodes) YAML nodes (each alias counts as all it stands for)", mark: mark)
        }
        if total.bytes > limits.maxScalarBytes {
            return YAMLSyntaxError(message: "the document expands to more than \(limits.maxScalarBytes >> 20)MiB of text (each alias counts as all it stands for)", mark: mark)
        }
        return nil
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}
