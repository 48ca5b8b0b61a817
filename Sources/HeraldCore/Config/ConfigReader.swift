import Foundation

/// Reads typed values out of YAML nodes for the config decoder, collecting every problem as a
/// located diagnostic instead of stopping at the first.
final class ConfigReader {
    let file: String
    /// Folder of the config file: relative paths in the config resolve against it.
    let directory: String
    let expander: EnvironmentExpander
    private(set) var diagnostics: [ConfigDiagnostic] = []
    /// Values that came from `${VAR}` in secret positions or from secret files.
    var secrets: Set<String> = []
    /// The config's text, to point into multi-character values such as templates.
    var source = ""

    init(file: String, environment: [String: String]) {
        self.file = file
        directory = (file as NSString).deletingLastPathComponent
        expander = EnvironmentExpander(environment: environment)
    }

    func error(_ message: String, at mark: SourceMark?, suggestion: String? = nil) {
        diagnostics.append(ConfigDiagnostic(file: file, mark: mark, message: message, suggestion: suggestion))
    }

    /// The keys of a mapping node, after checking for unknown, duplicate and missing keys.
    func fields(_ node: YAMLNode, of what: String, allowed: [String], required: [String] = []) -> Fields? {
        guard case .mapping(let pairs) = node.kind else {
            if !node.isNull { error("\(what) must be a mapping, found \(node.kindName)", at: node.mark) }
            return nil
        }
        var result = Fields(mark: node.mark)
        var suggested: Set<String> = []
        for pair in pairs {
            guard let key = pair.key.scalar else {
                error("keys in \(what) must be plain names", at: pair.key.mark)
                continue
            }
            if let first = result.keyMarks[key] {
                error("duplicate key '\(key)' in \(what) (first set at \(first))", at: pair.key.mark)
                continue
            }
            guard allowed.contains(key) else {
                let suggestion = Suggestion.closest(to: key, in: allowed)
                if let suggestion { suggested.insert(suggestion) }
                error("unknown key '\(key)' in \(what)", at: pair.key.mark, suggestion: suggestion.map { "did you mean '\($0)'?" })
                continue
            }
            result.keyMarks[key] = pair.key.mark
            result.nodes[key] = pair.value
            result.order.append(key)
        }
        // A misspelt required key was already reported with its fix.
        for key in required where (result.nodes[key] == nil || result.nodes[key]!.isNull) && !suggested.contains(key) {
            error("missing required key '\(key)' in \(what)", at: result.keyMarks[key] ?? node.mark)
        }
        return result
    }

    /// A scalar's text with `${VAR}` expanded; nil (after reporting) for collections and bad references.
    ///
    /// `secret`: the value sits in a header, URL, auth or signing position, so the expanded
    /// text and each value substituted into it are secrets, each on its own (`tok ${TOK}` makes
    /// both `tok …` and the token secret); `inURL` adds the encoded forms a URL gives them.
    func string(_ node: YAMLNode, _ what: String, secret: Bool = false, inURL: Bool = false) -> String? {
        guard case .scalar(let raw, _) = node.kind else {
            error("\(what) must be a string, found \(node.kindName)", at: node.mark)
            return nil
        }
        switch expander.expandTracking(raw) {
        case .success(let (value, substituted)):
            if secret, value != raw, !value.isEmpty { secrets.insert(value) }
            if secret {
                for part in substituted where !part.isEmpty {
                    if inURL { secrets.formUnion(SecretForms.inURL(part)) } else { secrets.insert(part) }
                }
            }
            return value
        case .failure(.unset(let name)):
            error("environment variable '\(name)' is not set and has no default", at: node.mark, suggestion: "set it or write ${\(name):-default}")
        case .failure(.malformed(let message)):
            error(message, at: node.mark)
        }
        return nil
    }

    /// A string or a list of strings, with the mark of each.
    func strings(_ node: YAMLNode, _ what: String, secret: Bool = false) -> [(String, SourceMark)]? {
        switch node.kind {
        case .scalar:
            return string(node, what, secret: secret).map { [($0, node.mark)] }
        case .sequence(let items):
            return items.compactMap { item in string(item, "each entry of \(what)", secret: secret).map { ($0, item.mark) } }
        case .mapping:
            error("\(what) must be a string or a list of strings, found a mapping", at: node.mark)
            return nil
        }
    }

    /// One of `T`'s names (`'start_at' must be 'beginning' or 'end'`), with the closest as a hint.
    func choice<T: RawRepresentable & CaseIterable>(_ node: YAMLNode, _ what: String, as type: T.Type) -> T? where T.RawValue == String {
        guard let text = string(node, what) else { return nil }
        if let value = T(rawValue: text) { return value }
        let names = T.allCases.map(\.rawValue)
        let listed = names.dropLast().map { "'\($0)'" }.joined(separator: ", ") + " or '\(names.last ?? "")'"
        error("\(what) must be \(listed), found '\(text)'", at: node.mark,
              suggestion: Suggestion.closest(to: text, in: names).map { "did you mean '\($0)'?" })
        return nil
    }

    func bool(_ node: YAMLNode, _ what: String) -> Bool? {
        guard let text = string(node, what) else { return nil }
        switch text {
        case "true", "True", "TRUE", "yes", "on": return true
        case "false", "False", "FALSE", "no", "off": return false
        default:
            error("\(what) must be true or false, found '\(text)'", at: node.mark)
            return nil
        }
    }

    func int(_ node: YAMLNode, _ what: String, in range: ClosedRange<Int>) -> Int? {
        guard let text = string(node, what) else { return nil }
        guard let value = Int(text.replacingOccurrences(of: "_", with: "")), range.contains(value) else {
            error("\(what) must be an integer from \(range.lowerBound) to \(range.upperBound), found '\(text)'", at: node.mark)
            return nil
        }
        return value
    }

    func duration(_ node: YAMLNode, _ what: String) -> Duration? {
        guard let text = string(node, what) else { return nil }
        switch ConfigDuration.check(text) {
        case .success(let duration):
            return duration
        case .failure(.tooLong):
            error("\(what) must be at most 36500d (100 years), found '\(text)'", at: node.mark)
        case .failure(.malformed):
            error("\(what) must be a duration like 500ms, 10s, 5m, 2h or 3d, found '\(text)'", at: node.mark)
        }
        return nil
    }

    func rate(_ node: YAMLNode, _ what: String) -> Rate? {
        guard let text = string(node, what) else { return nil }
        switch Rate.parse(text) {
        case .success(let rate):
            return rate
        case .failure(.tooLarge):
            error("\(what) allows at most \(Rate.maxCount) requests per period, found '\(text)'", at: node.mark)
        case .failure(.malformed):
            error("\(what) must be a rate like 100/s or 600/m, found '\(text)'", at: node.mark)
        }
        return nil
    }

    func byteSize(_ node: YAMLNode, _ what: String) -> Int64? {
        guard let text = string(node, what) else { return nil }
        guard let size = ByteSize.parse(text) else {
            error("\(what) must be a size like 1048576, 512KiB, 64MiB or 1GiB, found '\(text)'", at: node.mark)
            return nil
        }
        guard size <= ByteSize.maximum else {
            error("\(what) must be at most 1TiB, found '\(text)'", at: node.mark)
            return nil
        }
        return size
    }

    func fieldPath(_ node: YAMLNode, _ what: String) -> FieldPath? {
        guard let text = string(node, what) else { return nil }
        guard let path = FieldPath(text) else {
            if text.hasPrefix("$") {
                let names = EventMetadata.Field.allCases.map(\.rawValue)
                error("\(what): '\(text)' is not one of Herald's metadata fields (\(names.joined(separator: ", ")))", at: node.mark,
                      suggestion: Suggestion.closest(to: text, in: names).map { "did you mean '\($0)'?" })
                return nil
            }
            error("\(what) must be a dotted field path like data.order_id, found '\(text)'", at: node.mark)
            return nil
        }
        return path
    }

    /// A config-relative path made absolute.
    func resolvedPath(_ path: String) -> String {
        if path.hasPrefix("/") { return URL(fileURLWithPath: path).standardized.path }
        let base = directory.isEmpty ? FileManager.default.currentDirectoryPath : directory
        return URL(fileURLWithPath: base).appendingPathComponent(path).standardized.path
    }

    /// A YAML value as JSON for `where` and `set`: plain scalars resolve to null, booleans and numbers.
    func jsonValue(_ node: YAMLNode, _ what: String) -> JSONValue? {
        switch node.kind {
        case .scalar(_, let isPlain):
            guard let text = string(node, what) else { return nil }
            guard isPlain else { return .string(text) }
            switch text {
            case "", "~", "null", "Null", "NULL": return .null
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            default:
                if let number = try? JSONParser.parse(Array(text.utf8)), case .number = number { return number }
                return .string(text)
            }
        case .sequence(let items):
            var values: [JSONValue] = []
            for item in items {
                guard let value = jsonValue(item, what) else { return nil }
                values.append(value)
            }
            return .array(values)
        case .mapping(let pairs):
            var object = JSONObject()
            for pair in pairs {
                guard let key = pair.key.scalar, let value = jsonValue(pair.value, what) else { return nil }
                object[key] = value
            }
            return .object(object)
        }
    }
}

/// A mapping's recognised keys and values, with where each key was written.
struct Fields {
    let mark: SourceMark
    var nodes: [String: YAMLNode] = [:]
    var keyMarks: [String: SourceMark] = [:]
    var order: [String] = []

    init(mark: SourceMark) { self.mark = mark }

    /// A present, non-null value.
    subscript(key: String) -> YAMLNode? {
        guard let node = nodes[key], !node.isNull else { return nil }
        return node
    }
}
