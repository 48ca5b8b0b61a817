import Foundation
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
    /// What one pass through each section's body costs at most in literal text.
    private let sectionCost: (byName: [String: Int], otherwise: Int)

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
        self.sectionCost = Self.sectionCost(Array(text.utf8))
    }

    /// The rendered text, and the first field the template named that the context lacks.
    ///
    /// The render stops producing once its output could pass `limit` bytes — each value printed,
    /// and each pass through a section at the literal text of its body — and then reports
    /// `tooLarge` (the text is then cut short and must not be used). So a section over a large
    /// array, or a large value printed in every pass, never builds a huge string.
    public func render(
        _ context: JSONValue, escaping: TemplateEscaping = .text, limit: Int = .max
    ) -> (text: String, missing: String?, tooLarge: Bool) {
        let misses = TemplateMisses(limit: limit, sectionCost: sectionCost)
        guard let template = variants[escaping] else { return ("", nil, false) }
        guard misses.charge(text.utf8.count) else { return ("", nil, true) }
        let output = template.render(TemplateNode(root: context, misses: misses))
        return (output, misses.first, misses.exceeded || output.utf8.count > limit)
    }

    /// The literal bytes inside each section's body (nested bodies included: an upper bound), by
    /// the section's name; a template that changes its delimiters counts its whole text for any.
    static func sectionCost(_ bytes: [UInt8]) -> (byName: [String: Int], otherwise: Int) {
        var open: [(name: String, literal: Int)] = []
        var byName: [String: Int] = [:]
        var largest = 0
        var index = 0
        func find(_ pattern: [UInt8], from start: Int) -> Int? {
            guard start + pattern.count <= bytes.count else { return nil }
            return (start...(bytes.count - pattern.count)).first { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) }
        }
        let opening = Array("{{".utf8), closing = Array("}}".utf8)
        while index < bytes.count {
            let tag = find(opening, from: index) ?? bytes.count
            for position in open.indices { open[position].literal += tag - index }
            guard tag < bytes.count, let end = find(closing, from: tag + 2) else { break }
            var inner = bytes[(tag + 2)..<end].drop { $0 == 0x20 }
            index = end + 2
            if inner.first == UInt8(ascii: "{"), index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1 }
            guard let sigil = inner.first else { continue }
            inner = inner.dropFirst()
            let name = String(decoding: inner, as: UTF8.self).trimmingCharacters(in: .whitespaces)
                .split(separator: ".").last.map(String.init) ?? ""
            switch sigil {
            case UInt8(ascii: "#"), UInt8(ascii: "^"):
                open.append((name, 0))
            case UInt8(ascii: "/"):
                guard let section = open.popLast() else { continue }
                byName[section.name] = max(byName[section.name] ?? 0, section.literal)
                largest = max(largest, section.literal)
            case UInt8(ascii: "="):
                return ([:], bytes.count)
            default:
                continue
            }
        }
        return (byName, largest)
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
