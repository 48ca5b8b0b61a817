/// The JSON each chat platform's incoming webhooks accept, around one message text: the route's
/// `template` output, or else a short summary of the event.
///
/// - Slack: `{"text": …}` (https://api.slack.com/messaging/webhooks)
/// - Mattermost: `{"text": …}` (https://developers.mattermost.com/integrate/webhooks/incoming/)
/// - Discord: `{"content": …}`, at most 2000 characters
///   (https://discord.com/developers/docs/resources/webhook#execute-webhook)
/// - Teams (Workflows "When a Teams webhook request is received"): a `message` whose attachment
///   is an Adaptive Card (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using)
enum ChatMessage {
    static let discordLimit = 2000
    static let summaryFields = 6

    static func body(_ format: PayloadFormat, text: String) -> JSONValue {
        switch format {
        case .discord:
            let content = text.count > discordLimit ? String(text.prefix(discordLimit - 1)) + "…" : text
            return .object(JSONObject([JSONField(key: "content", value: .string(content))]))
        case .teams:
            let block = JSONObject([
                JSONField(key: "type", value: .string("TextBlock")), JSONField(key: "text", value: .string(text)),
                JSONField(key: "wrap", value: .bool(true)),
            ])
            let card = JSONObject([
                JSONField(key: "$schema", value: .string("http://adaptivecards.io/schemas/adaptive-card.json")),
                JSONField(key: "type", value: .string("AdaptiveCard")), JSONField(key: "version", value: .string("1.4")),
                JSONField(key: "body", value: .array([.object(block)])),
            ])
            let attachment = JSONObject([
                JSONField(key: "contentType", value: .string("application/vnd.microsoft.card.adaptive")),
                JSONField(key: "contentUrl", value: .null), JSONField(key: "content", value: .object(card)),
            ])
            return .object(JSONObject([JSONField(key: "type", value: .string("message")), JSONField(key: "attachments", value: .array([.object(attachment)]))]))
        default:
            return .object(JSONObject([JSONField(key: "text", value: .string(text))]))
        }
    }

    /// `order.created o-1` and then up to six `name: value` lines (scalars, not null) from the
    /// (transformed) event's `data` object, or from its top level when it has no `data` object.
    static func summary(of event: Event, body: JSONObject, format: PayloadFormat) -> String {
        var fields = body.fields.filter { $0.key != "type" && $0.key != "id" }
        if case .object(let data)? = body["data"] { fields = data.fields }
        var lines = ["\(event.type) \(event.id)"]
        for field in fields where lines.count <= summaryFields {
            switch field.value {
            case .object, .array, .null: continue
            default: lines.append("\(field.key): \(FormEncoder.scalarText(field.value))")
            }
        }
        let text = lines.joined(separator: "\n")
        return format == .slack ? slackEscape(text) : text
    }

    /// Slack's control characters as the entities Slack expects (https://api.slack.com/reference/surfaces/formatting#escaping).
    static func slackEscape(_ text: String) -> String {
        guard text.contains(where: { $0 == "&" || $0 == "<" || $0 == ">" }) else { return text }
        var output = ""
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            default: output.append(character)
            }
        }
        return output
    }
}
