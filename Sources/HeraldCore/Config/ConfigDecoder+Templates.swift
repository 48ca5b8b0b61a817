extension ConfigDecoder {
    /// A route's `template`, parsed now; a syntax error is reported where it is in the file.
    func compileTemplate(_ node: YAMLNode) -> PayloadTemplate? {
        guard let text = reader.string(node, "'template'") else { return nil }
        return parseTemplate(text, node)
    }

    /// A YAML value whose strings containing `{{` are templates (a string without is itself).
    func valueTemplate(_ node: YAMLNode, _ what: String) -> ValueTemplate? {
        switch node.kind {
        case .scalar:
            guard let value = reader.jsonValue(node, what) else { return nil }
            guard case .string(let text) = value, text.contains("{{") else { return .literal(value) }
            if let path = ValueTemplate.wholeField(text) { return .field(path) }
            return parseTemplate(text, node).map(ValueTemplate.text)
        case .sequence(let items):
            var values: [ValueTemplate] = []
            for item in items {
                guard let value = valueTemplate(item, what) else { return nil }
                values.append(value)
            }
            return .array(values)
        case .mapping(let pairs):
            var fields: [(key: String, value: ValueTemplate)] = []
            for pair in pairs {
                guard let key = pair.key.scalar else {
                    reader.error("keys in \(what) must be plain names", at: pair.key.mark)
                    return nil
                }
                guard let value = valueTemplate(pair.value, what) else { return nil }
                fields.append((key, value))
            }
            return .object(fields)
        }
    }

    private func parseTemplate(_ text: String, _ node: YAMLNode) -> PayloadTemplate? {
        do {
            return try PayloadTemplate(text)
        } catch {
            reader.error("invalid template: \(error.message)", at: TemplateLocation.mark(of: error, in: text, node: node, source: reader.source))
            return nil
        }
    }
}

/// Where a template's syntax error is in the config file: the scalar's start plus the offset
/// within the template, when the file holds the template's text verbatim there (a single-line
/// plain or quoted scalar, or a literal block); else the scalar's start.
enum TemplateLocation {
    static func mark(of error: PayloadTemplate.SyntaxError, in text: String, node: YAMLNode, source: String) -> SourceMark {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        let templateLines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard error.line >= 1, error.line <= templateLines.count, node.mark.line >= 1, node.mark.line <= lines.count else { return node.mark }
        if templateLines.count == 1 {
            let line = Array(lines[node.mark.line - 1].unicodeScalars)
            let wanted = Array(text.unicodeScalars)
            for start in [node.mark.column - 1, node.mark.column] where start >= 0 && start + wanted.count <= line.count {
                if Array(line[start..<(start + wanted.count)]) == wanted {
                    return SourceMark(line: node.mark.line, column: start + error.column)
                }
            }
            return node.mark
        }
        // A literal block (`|`): template line N is file line mark + N, after the block's indentation.
        let fileIndex = node.mark.line - 1 + error.line
        guard fileIndex < lines.count else { return node.mark }
        let fileLine = lines[fileIndex], templateLine = templateLines[error.line - 1]
        guard fileLine.hasSuffix(templateLine) else { return node.mark }
        let indent = fileLine.unicodeScalars.count - templateLine.unicodeScalars.count
        guard fileLine.unicodeScalars.prefix(indent).allSatisfy({ $0 == " " }) else { return node.mark }
        return SourceMark(line: fileIndex + 1, column: indent + error.column)
    }
}
