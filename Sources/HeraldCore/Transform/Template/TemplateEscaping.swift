import Mustache

/// How `{{x}}` escapes a value in a route's `template`, chosen by the endpoint's format so that
/// a template written in that format stays well-formed; `{{{x}}}` never escapes.
public enum TemplateEscaping: String, Sendable, CaseIterable {
    /// Nothing escaped: `set`, `body` and the Teams, Mattermost and Discord message text.
    case text = "TEXT"
    /// JSON string content, without the quotes: write `"{{name}}"`.
    case json = "HERALD_JSON"
    /// XML character data and attribute values.
    case xml = "HERALD_XML"
    /// application/x-www-form-urlencoded values.
    case form = "HERALD_FORM"
    /// Slack's control characters `&`, `<` and `>`.
    case slack = "HERALD_SLACK"

    /// The swift-mustache content type; registered once, before any template is parsed.
    static let registered: Void = {
        MustacheContentTypes.register(JSONEscaping(), named: TemplateEscaping.json.rawValue)
        MustacheContentTypes.register(XMLEscaping(), named: TemplateEscaping.xml.rawValue)
        MustacheContentTypes.register(FormEscaping(), named: TemplateEscaping.form.rawValue)
        MustacheContentTypes.register(SlackEscaping(), named: TemplateEscaping.slack.rawValue)
    }()
}

extension PayloadFormat {
    /// The escaping `{{x}}` applies in a `template` sent in this format.
    public var templateEscaping: TemplateEscaping {
        switch self {
        case .json, .cloudevents: .json
        case .xml: .xml
        case .form: .form
        case .slack: .slack
        case .teams, .mattermost, .discord: .text
        }
    }
}

private struct JSONEscaping: MustacheContentType {
    func escapeText(_ text: String) -> String {
        var output: [UInt8] = []
        JSONWriter.writeString(text, to: &output)
        return String(decoding: output.dropFirst().dropLast(), as: UTF8.self)
    }
}

private struct XMLEscaping: MustacheContentType {
    func escapeText(_ text: String) -> String { XMLEncoder.escape(text, quotes: true) }
}

private struct FormEscaping: MustacheContentType {
    func escapeText(_ text: String) -> String { FormEncoder.percentEncode(text) }
}

private struct SlackEscaping: MustacheContentType {
    func escapeText(_ text: String) -> String { ChatMessage.slackEscape(text) }
}
