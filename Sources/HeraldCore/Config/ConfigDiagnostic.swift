/// One problem found in a config file, located like a compiler error: `file:line:col: message`.
public struct ConfigDiagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// Nil when the problem is the file as a whole (unreadable, empty).
    public var mark: SourceMark?
    public var message: String
    /// A fix to offer, e.g. "did you mean 'url'?".
    public var suggestion: String?

    public init(file: String, mark: SourceMark?, message: String, suggestion: String? = nil) {
        self.file = file
        self.mark = mark
        self.message = message
        self.suggestion = suggestion
    }

    public var description: String {
        let location = mark.map { "\(file):\($0.line):\($0.column)" } ?? file
        return "\(location): \(message)" + (suggestion.map { ", \($0)" } ?? "")
    }
}

/// Every problem found while loading a config, in file order.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [ConfigDiagnostic]

    public init(_ diagnostics: [ConfigDiagnostic]) {
        var seen = Set<String>()
        self.diagnostics = diagnostics
            .filter { seen.insert($0.description).inserted }
            .sorted { ($0.mark?.line ?? 0, $0.mark?.column ?? 0) < ($1.mark?.line ?? 0, $1.mark?.column ?? 0) }
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

extension ConfigDiagnostic {
    /// The same diagnostic with secret values hidden from its message and suggestion.
    func redacted(by redactor: Redactor) -> ConfigDiagnostic {
        ConfigDiagnostic(file: file, mark: mark, message: redactor.redact(message), suggestion: suggestion.map(redactor.redact))
    }
}
