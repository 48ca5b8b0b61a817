import Mustache

/// A Mustache template from the config, parsed once at load for every escaping it may render
/// with; rendering takes the event (after the route's field operations) as its context.
public struct PayloadTemplate: Sendable {
    /// A syntax error, located within the template text (1-based).
    public struct SyntaxError: Error, Sendable {
        public var line: Int
        public var column: Int
        public var message: String
    }

    public let text: String
    private let variants: [TemplateEscaping: MustacheTemplate]

    public init(_ text: String) throws(SyntaxError) {
        _ = TemplateEscaping.registered
        do {
            _ = try MustacheTemplate(string: text)
        } catch let error as MustacheTemplate.ParserError {
            throw SyntaxError(line: error.context.lineNumber, column: error.context.columnNumber, message: Self.describe(error.error))
        } catch {
            throw SyntaxError(line: 1, column: 1, message: "\(error)")
        }
        // Herald has no template library to draw partials from: refuse them rather than render nothing.
        for tag in ["{{>", "{{<"] {
            guard let range = text.firstRange(of: tag) else { continue }
            let before = text[..<range.lowerBound]
            let line = before.count(where: { $0 == "\n" }) + 1
            let column = before.count - (before.lastIndex(of: "\n").map { before.distance(from: before.startIndex, to: $0) + 1 } ?? 0) + 1
            throw SyntaxError(line: line, column: column, message: "partials and template inheritance ('\(tag)') are not supported")
        }
        var variants: [TemplateEscaping: MustacheTemplate] = [:]
        for escaping in TemplateEscaping.allCases {
            // A standalone pragma line is dropped whole, so the output is exactly the template's.
            variants[escaping] = try? MustacheTemplate(string: "{{% CONTENT_TYPE: \(escaping.rawValue)}}\n" + text)
        }
        self.text = text
        self.variants = variants
    }

    /// The rendered text, and the first field the template named that the context lacks.
    public func render(_ context: JSONValue, escaping: TemplateEscaping = .text) -> (text: String, missing: String?) {
        let misses = TemplateMisses()
        guard let template = variants[escaping] else { return ("", nil) }
        let text = template.render(TemplateNode(root: context, misses: misses))
        return (text, misses.first)
    }

    private static func describe(_ error: any Error) -> String {
        switch error as? MustacheTemplate.Error {
        case .sectionCloseNameIncorrect?: "this closing tag does not match the section it closes"
        case .unfinishedName?: "unfinished tag: expected a name and then '}}'"
        case .expectedSectionEnd?: "a section is never closed: add its {{/name}}"
        case .invalidSetDelimiter?: "invalid set-delimiter tag"
        case .transformAppliedToInheritanceSection?, .illegalTokenInsideInheritSection?, .textInsideInheritSection?:
            "template inheritance is not supported here"
        case .invalidConfigVariableSyntax?, .unrecognisedConfigVariable?: "unknown or malformed {{% pragma}}"
        case nil: "unfinished tag: expected '}}'"
        }
    }
}
